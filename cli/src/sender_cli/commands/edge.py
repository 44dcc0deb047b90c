"""`sender edge ...`: mirror sessions on an edge."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sender_cli.commands.common import (
    DEFAULT_EDGE,
    EdgeOpt,
    JsonOpt,
    Node,
    SlugOrAllArg,
    TokenOpt,
)
from sender_cli.output import print_record, print_rows

app = typer.Typer(help="Start, stop and inspect mirror sessions on an edge.", no_args_is_help=True)
COLUMNS = ("endpoint", "state", "generation", "upstream_url", "segments_mirrored", "lag_seconds")


def _show(status: dict[str, Any]) -> None:
    print_record(f"edge session {status['endpoint']}", status)


@app.command("start")
def start(
    slug: str,
    upstream: Annotated[
        str | None,
        typer.Option(help="Upstream base URL (an origin or another edge); default: the edge's."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify the upstream's TLS certificate.")
    ] = False,
    edge: EdgeOpt = DEFAULT_EDGE,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start mirroring an endpoint (idempotent)."""
    body: dict[str, Any] = {"endpoint": slug, "verify_tls": not insecure}
    if upstream:
        body["upstream_url"] = upstream
    Node("edge", edge, token, as_json).call("post", "/api/v1/edge/sessions", _show, body)


@app.command("stop")
def stop(
    slug: str, edge: EdgeOpt = DEFAULT_EDGE, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Stop mirroring; it stays stopped across edge restarts."""
    Node("edge", edge, token, as_json).call("post", f"/api/v1/edge/sessions/{slug}/stop", _show)


@app.command("status")
def status(
    slug: SlugOrAllArg = None,
    edge: EdgeOpt = DEFAULT_EDGE,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report one mirror session, or all of them."""
    Node("edge", edge, token, as_json).one_or_all(
        "/api/v1/edge/sessions",
        slug,
        _show,
        lambda d: print_rows("edge sessions", d["data"], COLUMNS),
    )
