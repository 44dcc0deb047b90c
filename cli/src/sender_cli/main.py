"""The `sender` command: local mode (`up`, `publish-test`) and stream management."""

from __future__ import annotations

__all__ = ["app"]

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.logging import RichHandler

from sender_cli.client import ApiClient
from sender_cli.commands import edge, endpoints, streams
from sender_cli.commands.common import DEFAULT_ORIGIN, OriginOpt, TokenOpt, cli_errors
from sender_cli.local.roles import UpSettings
from sender_cli.local.up import run_up
from sender_cli.output import console, err_console
from sender_cli.publish_test import publish_target, run_publisher, srt_target
from sender_common.errors import SenderError
from sender_common.logs import quiet_http_clients

app = typer.Typer(
    name="sender",
    help="Sender: self-hosted live streaming. `sender up --demo` runs everything locally.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(endpoints.app, name="endpoints")
app.add_typer(streams.app, name="streams")
app.add_typer(edge.app, name="edge")


def _level(verbose: int) -> int:
    """No -v: warnings; -v: what is going on; -vv: debug, each HTTP request included."""
    return logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG


def _logging(verbose: int) -> None:
    handler = RichHandler(console=err_console, show_path=False, show_time=verbose > 0)
    level = _level(verbose)
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    quiet_http_clients(level)


Port = Annotated[int, typer.Option(min=1, max=65535)]
VerboseOpt = Annotated[
    int,
    typer.Option(
        "--verbose", "-v", count=True, help="Log what is going on (-vv: debug, HTTP requests too)."
    ),
]


@app.command()
def up(
    demo: Annotated[
        bool, typer.Option("--demo", help="Create endpoint `demo` and publish a test pattern.")
    ] = False,
    origin_port: Annotated[int, typer.Option(min=1, max=65535, help="Origin HTTP port.")] = 8080,
    rtmp_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="RTMP ingest port [env SENDER_RTMP_PORT; 1935]."),
    ] = None,
    srt_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="SRT ingest port, UDP [env SENDER_SRT_PORT; 8890]."),
    ] = None,
    edge_port: Annotated[int, typer.Option(min=1, max=65535, help="Edge HTTP port.")] = 8081,
    metrics_port: Annotated[int, typer.Option(min=1, max=65535, help="Metrics HTTP port.")] = 8082,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Each role keeps its data in origin/, edge/, metrics/ here "
            "[env SENDER_DATA_DIR; ./data]."
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address every role binds [env SENDER_HOST; 127.0.0.1].")
    ] = None,
    segment_seconds: Annotated[
        float | None,
        typer.Option(
            min=0.5,
            max=30,
            help="HLS target segment duration, all roles [env SENDER_HLS_SEGMENT_SECONDS; 2].",
        ),
    ] = None,
    ready_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for every role to be ready.")
    ] = 60.0,
    verbose: VerboseOpt = 0,
) -> None:
    """Run origin, edge and metrics on this machine until Ctrl-C; a role that exits is
    restarted with backoff."""
    _logging(verbose)
    try:
        settings = UpSettings.from_flags(
            data_dir=data_dir,
            host=host,
            rtmp_port=rtmp_port,
            srt_port=srt_port,
            hls_segment_seconds=segment_seconds,
        )
    except ValidationError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    config = settings.config(
        origin_port=origin_port,
        edge_port=edge_port,
        metrics_port=metrics_port,
        demo=demo,
        ready_timeout=ready_timeout,
        child_log_level=logging.getLevelName(_level(verbose)).lower(),
    )
    raise typer.Exit(asyncio.run(run_up(config, console)))


@app.command("publish-test")
def publish_test(
    endpoint: Annotated[str, typer.Argument(help="The endpoint to publish into.")],
    origin: OriginOpt = DEFAULT_ORIGIN,
    rtmp: Annotated[
        str | None,
        typer.Option(help="RTMP base URL, e.g. rtmp://127.0.0.1:1935/live (default: asked)."),
    ] = None,
    key: Annotated[str | None, typer.Option(help="Stream key of an existing endpoint.")] = None,
    srt: Annotated[
        bool, typer.Option("--srt", help="Publish MPEG-TS over SRT instead of RTMP.")
    ] = False,
    passphrase: Annotated[
        str | None, typer.Option(help="SRT passphrase of an encrypted endpoint (with --srt).")
    ] = None,
    token: TokenOpt = None,
    gop_seconds: Annotated[float, typer.Option(min=0.5, help="Keyframe interval.")] = 2.0,
    verbose: VerboseOpt = 0,
) -> None:
    """Publish a test pattern into an endpoint (created when missing) until Ctrl-C."""
    _logging(verbose)
    with cli_errors(), ApiClient("origin", origin, token=token) as client:
        if srt:
            url = srt_target(client, endpoint, key=key, passphrase=passphrase, console=console)
        else:
            url = publish_target(client, endpoint, key=key, rtmp=rtmp, console=console)
    try:
        code = asyncio.run(run_publisher(url, gop_seconds=gop_seconds, console=console))
    except SenderError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    raise typer.Exit(code)
