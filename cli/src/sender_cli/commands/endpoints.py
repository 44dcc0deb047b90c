"""`sender endpoints ...`: create, list, rotate keys, delete (origin API)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sender_cli.client import ApiClient
from sender_cli.commands.common import (
    DEFAULT_ORIGIN,
    JsonOpt,
    Node,
    OriginOpt,
    TokenOpt,
    cli_errors,
)
from sender_cli.output import console, print_record, print_rows
from sender_common.models import SLUG_RE

app = typer.Typer(help="Manage endpoints (named streams) on an origin.", no_args_is_help=True)
COLUMNS = ("slug", "type", "title", "renditions", "auto_start", "key_blocked")


def parse_ladder(text: str) -> list[dict[str, Any]]:
    """`src,720p:720,360` -> rendition specs; a bare number N means `Np` at height N."""
    rungs: list[dict[str, Any]] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        name, _, height = part.partition(":")
        if not height and name.isdigit():
            name, height = f"{name}p", name
        if height and not height.isdigit():
            raise typer.BadParameter(f"{part!r}: height must be a number (NAME:HEIGHT)")
        rung: dict[str, Any] = {"name": name}
        if height:
            rung["height"] = int(height)
        rungs.append(rung)
    return rungs


def _show_key(data: dict[str, Any]) -> None:
    console.print(f"endpoint [bold]{data['slug']}[/bold]")
    key = data["stream_key"]
    console.print(f"  stream key:  [bold green]{key}[/bold green] (shown once)", soft_wrap=True)
    console.print(f"  publish URL: {data['publish_url']}", soft_wrap=True)
    if data.get("srt_url"):
        console.print(f"  SRT URL:     {data['srt_url']}", soft_wrap=True)
    renditions = [r["name"] for r in data.get("renditions", [])]
    if renditions:
        console.print(f"  renditions:  {', '.join(renditions)}")


@app.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="Lowercase letters, digits and '-'.")],
    title: Annotated[str, typer.Option(help="A human title.")] = "",
    ladder: Annotated[
        str | None,
        typer.Option(help="Rendition ladder, e.g. 'src,720p:720,360p:360' (or 'src,720,360')."),
    ] = None,
    passphrase: Annotated[
        str | None, typer.Option(help="SRT passphrase (10-79 characters): encrypted SRT only.")
    ] = None,
    origin: OriginOpt = DEFAULT_ORIGIN,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an endpoint and print its stream key (shown only this once)."""
    if not SLUG_RE.fullmatch(slug):
        raise typer.BadParameter(
            "lowercase letters, digits and '-', starting with a letter or digit", param_hint="SLUG"
        )
    body: dict[str, Any] = {"slug": slug, "title": title}
    if ladder:
        body["renditions"] = parse_ladder(ladder)
    if passphrase:
        body["passphrase"] = passphrase
    Node("origin", origin, token, as_json).call("post", "/api/v1/endpoints", _show_key, body)


@app.command("list")
def list_(
    origin: OriginOpt = DEFAULT_ORIGIN, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """List the origin's endpoints."""

    def show(data: dict[str, Any]) -> None:
        rows = [{**e, "renditions": [r["name"] for r in e["renditions"]]} for e in data["data"]]
        print_rows("endpoints", rows, COLUMNS)

    Node("origin", origin, token, as_json).call("get", "/api/v1/endpoints", show)


@app.command("show")
def show(
    slug: str, origin: OriginOpt = DEFAULT_ORIGIN, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Show one endpoint."""
    Node("origin", origin, token, as_json).call(
        "get", f"/api/v1/endpoints/{slug}", lambda d: print_record(f"endpoint {slug}", d)
    )


@app.command("rotate-key")
def rotate_key(
    slug: str, origin: OriginOpt = DEFAULT_ORIGIN, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Issue a new stream key; the old one stops working."""
    Node("origin", origin, token, as_json).call(
        "post", f"/api/v1/endpoints/{slug}/rotate-key", _show_key
    )


@app.command("delete")
def delete(
    slug: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    origin: OriginOpt = DEFAULT_ORIGIN,
    token: TokenOpt = None,
) -> None:
    """Delete an endpoint: its stream stops and its spool is removed."""
    if not yes:
        typer.confirm(f"delete endpoint {slug!r} and its recordings?", abort=True)
    with cli_errors(), ApiClient("origin", origin, token=token) as client:
        client.delete(f"/api/v1/endpoints/{slug}")
    console.print(f"deleted endpoint {slug}")
