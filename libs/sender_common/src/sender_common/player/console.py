"""HTTP routes of the operator console.

``GET /sender/console`` serves a static page whose script (``console.js``, built by
``make player`` from ``player/src/console/``) does everything through the documented
management API with the operator's bearer token. ``GET /sender/console-assets/{name}``
serves the bundle. The page holds no data itself, so it needs no authentication; a strict
Content-Security-Policy keeps any markup that slipped into the page from running.
"""

from __future__ import annotations

__all__ = ["CONSOLE_ASSETS", "console_router", "render_console"]

import logging
from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from sender_common.player.router import ASSETS_PREFIX as PLAYER_ASSETS
from sender_common.player.router import add_asset_route, default_dist_dir, not_built

log = logging.getLogger(__name__)

PAGE_PATH: Final = "/sender/console"
ASSETS_PREFIX: Final = "/sender/console-assets"
CONSOLE_ASSETS: Final[dict[str, str]] = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "console.js.map": "application/json",
}
NOT_BUILT_MESSAGE: Final = not_built("console")
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def render_console(*, built: bool) -> str:
    """The console's HTML shell; the script fills `#app`."""
    body = (
        f'<div id="app"></div>\n<script src="{PLAYER_ASSETS}/player.js" defer></script>\n'
        f'<script src="{ASSETS_PREFIX}/console.js" defer></script>'
        if built
        else "<p>console assets not built: run <code>make player</code></p>"
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sender console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{PLAYER_ASSETS}/player.css">
<link rel="stylesheet" href="{ASSETS_PREFIX}/console.css">
</head>
<body>
{body}
</body>
</html>
"""


def console_router(dist_dir: Path | None = None) -> APIRouter:
    """Routes for the console page and its assets (looked up per request, like the player)."""
    assets_dir = (dist_dir if dist_dir is not None else default_dist_dir()).resolve()
    router = APIRouter(tags=["console"])

    @router.get(PAGE_PATH, response_class=HTMLResponse)
    def console_page() -> HTMLResponse:
        built = (assets_dir / "console.js").is_file()
        if not built:
            log.warning("%s (looked in %s)", NOT_BUILT_MESSAGE, assets_dir)
        return HTMLResponse(render_console(built=built), headers=PAGE_HEADERS)

    add_asset_route(router, "console", ASSETS_PREFIX, CONSOLE_ASSETS, assets_dir)

    return router
