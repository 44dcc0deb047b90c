"""The Sender web player (an HTML page per endpoint plus the bundled Video.js 10 + hls.js
assets) and the operator console (a page over the management API, built with the same
toolchain)."""

from sender_common.player.console import CONSOLE_ASSETS, console_router
from sender_common.player.router import ASSET_TYPES, default_dist_dir, player_router

__all__ = ["ASSET_TYPES", "CONSOLE_ASSETS", "console_router", "default_dist_dir", "player_router"]
