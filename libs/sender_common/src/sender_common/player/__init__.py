"""The Sender web player: an HTML page per endpoint plus the bundled Video.js 10 + hls.js assets."""

from sender_common.player.router import ASSET_TYPES, default_dist_dir, player_router

__all__ = ["ASSET_TYPES", "default_dist_dir", "player_router"]
