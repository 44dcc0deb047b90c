"""HTTP routes of the web player.

``GET /sender/player/{endpoint}`` renders the page; ``GET /sender/player-assets/{name}``
serves the bundle built by ``make player`` (``player/`` npm project) from ``static/dist/``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from sender_common.models import SLUG_RE

log = logging.getLogger(__name__)

# The only files ever served from static/dist/, with their content types.
ASSET_TYPES: Final[dict[str, str]] = {
    "player.js": "text/javascript; charset=utf-8",
    "player.css": "text/css; charset=utf-8",
    "player.js.map": "application/json",
}
REQUIRED_ASSETS: Final = ("player.js", "player.css")
ASSET_CACHE_CONTROL: Final = "public, max-age=300"
PAGE_PREFIX: Final = "/sender/player"
ASSETS_PREFIX: Final = "/sender/player-assets"


def not_built(what: str) -> str:
    """The message when `what`'s bundle is missing (a 404's detail, a warning's text)."""
    return f"{what} assets not built: run `make player`"


NOT_BUILT_MESSAGE: Final = not_built("player")


def default_dist_dir() -> Path:
    """Where ``npm run build`` writes the bundle inside this package."""
    return Path(__file__).resolve().parent / "static" / "dist"


def _assets_built(dist_dir: Path) -> bool:
    return all((dist_dir / name).is_file() for name in REQUIRED_ASSETS)


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": detail})


_PAGE_STYLE: Final = """
  :root { color-scheme: dark; }
  * { box-sizing: border-box; }
  html, body { margin: 0; min-height: 100%; background: #0e0e11; color: #e8e8ea;
    font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { width: min(100%, 1280px); margin: 0 auto; padding: 16px; }
  h1 { margin: 0 0 12px; font-size: 18px; font-weight: 600; color: #c9c9cf; }
  .stage { position: relative; width: 100%; aspect-ratio: 16 / 9; background: #000;
    border-radius: 6px; overflow: hidden; }
  #sender-player, #sender-player .video-js { width: 100%; height: 100%; }
  .notice { position: absolute; inset: 0; display: flex; align-items: center;
    justify-content: center; padding: 1em; text-align: center; color: #ffb4a8; }
  code { background: #26262c; padding: 0.1em 0.35em; border-radius: 4px; }
"""


def render_page(endpoint: str, *, built: bool) -> str:
    """The player page for ``endpoint`` (already validated)."""
    slug = html.escape(endpoint, quote=True)
    if built:
        head_assets = f'<link rel="stylesheet" href="{ASSETS_PREFIX}/player.css">'
        body_script = f'<script src="{ASSETS_PREFIX}/player.js" defer></script>'
        stage = f'<div id="sender-player" data-endpoint="{slug}" data-api-base=""></div>'
    else:
        head_assets = ""
        body_script = ""
        stage = (
            f'<div id="sender-player" data-endpoint="{slug}" data-api-base="">'
            '<p class="notice">player assets not built: run <code>make player</code></p></div>'
        )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sender — {slug}</title>
<link rel="icon" href="data:,">
{head_assets}
<style>{_PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>{slug}</h1>
<div class="stage">{stage}</div>
</main>
{body_script}
</body>
</html>
"""


def add_asset_route(
    router: APIRouter, what: str, prefix: str, assets: Mapping[str, str], assets_dir: Path
) -> None:
    """`GET|HEAD {prefix}/{name}`: only the listed files of `assets_dir`, with their types
    (`what`: whose assets, for the route's name and the errors)."""

    @router.api_route(
        f"{prefix}/{{name}}",
        methods=["GET", "HEAD"],
        response_model=None,
        include_in_schema=False,
        name=f"{what}_asset",
    )
    def asset(name: str) -> Response:
        media_type = assets.get(name)
        if media_type is None:
            return _not_found(f"unknown {what} asset")
        path = assets_dir / name
        if not path.is_file():
            return _not_found(not_built(what))
        return FileResponse(
            path, media_type=media_type, headers={"Cache-Control": ASSET_CACHE_CONTROL}
        )


def player_router(dist_dir: Path | None = None) -> APIRouter:
    """Routes for the player page and its assets.

    ``dist_dir`` defaults to this package's ``static/dist/``; it is looked at per request, so
    building the bundle while the service runs takes effect without a restart.
    """
    assets_dir = (dist_dir if dist_dir is not None else default_dist_dir()).resolve()
    router = APIRouter(tags=["player"])

    @router.get(f"{PAGE_PREFIX}/{{endpoint}}", response_class=HTMLResponse, response_model=None)
    def player_page(endpoint: str) -> HTMLResponse | JSONResponse:
        if not SLUG_RE.fullmatch(endpoint):
            return _not_found("invalid endpoint name")
        built = _assets_built(assets_dir)
        if not built:
            log.warning("%s (looked in %s)", NOT_BUILT_MESSAGE, assets_dir)
        return HTMLResponse(
            render_page(endpoint, built=built), headers={"Cache-Control": "no-cache"}
        )

    add_asset_route(router, "player", ASSETS_PREFIX, ASSET_TYPES, assets_dir)

    return router
