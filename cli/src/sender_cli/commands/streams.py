"""`sender streams ...`: start, stop and report media sessions on an origin."""

from __future__ import annotations

from typing import Any

import typer

from sender_cli.commands.common import (
    DEFAULT_ORIGIN,
    JsonOpt,
    Node,
    OriginOpt,
    SlugOrAllArg,
    TokenOpt,
)
from sender_cli.output import print_record, print_rows

app = typer.Typer(help="Start, stop and inspect streams on an origin.", no_args_is_help=True)
COLUMNS = ("endpoint", "state", "generation", "renditions", "publisher", "live_url")


def _flatten(status: dict[str, Any]) -> dict[str, Any]:
    publisher = status.get("publisher")
    ffmpeg = status.get("ffmpeg")
    out = {**status, "publisher": publisher["peer"] if publisher else None}
    if ffmpeg:
        out["ffmpeg"] = f"{ffmpeg['state']} (pid {ffmpeg['pid']}, restarts {ffmpeg['restarts']})"
    return out


def _show(status: dict[str, Any]) -> None:
    print_record(f"stream {status['endpoint']}", _flatten(status))


@app.command("start")
def start(
    slug: str, origin: OriginOpt = DEFAULT_ORIGIN, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Start the endpoint's session (idempotent; `waiting_source` until a publisher is live)."""
    Node("origin", origin, token, as_json).call("post", f"/api/v1/streams/{slug}/start", _show)


@app.command("stop")
def stop(
    slug: str, origin: OriginOpt = DEFAULT_ORIGIN, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Stop the session: the publisher is disconnected and the generation ends."""
    Node("origin", origin, token, as_json).call("post", f"/api/v1/streams/{slug}/stop", _show)


@app.command("status")
def status(
    slug: SlugOrAllArg = None,
    origin: OriginOpt = DEFAULT_ORIGIN,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report one stream, or every stream the origin knows."""
    Node("origin", origin, token, as_json).one_or_all(
        "/api/v1/streams",
        slug,
        _show,
        lambda rows: print_rows("streams", [_flatten(r) for r in rows], COLUMNS),
    )
