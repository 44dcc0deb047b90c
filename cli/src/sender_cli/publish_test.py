"""`sender publish-test`: run the supervised test publisher into one endpoint."""

from __future__ import annotations

__all__ = ["publish_target", "run_publisher", "srt_target"]

import asyncio
import contextlib
import os
import signal
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console

from sender_cli.client import ApiClient, ApiError, SenderCliError
from sender_cli.publisher import pattern_publisher
from sender_common.ffmpeg import resolve_ffmpeg


def _rtmp_base(client: ApiClient, rtmp: str | None) -> str:
    if rtmp:
        return rtmp.rstrip("/")
    node = client.get("/api/v1/node")
    port = node.get("manifest", {}).get("rtmp_port", 1935)
    host = urlsplit(client.base_url).hostname or "127.0.0.1"
    return f"rtmp://{host}:{port}/live"


def _shown_or_created(
    client: ApiClient, slug: str, *, key: str | None, console: Console
) -> tuple[dict[str, Any], str, bool]:
    """The endpoint `slug` as shown (an existing one needs `key`), or created now with its
    stream key printed once; its stream key; whether it was created."""
    try:
        shown: dict[str, Any] = client.get(f"/api/v1/endpoints/{slug}")
    except ApiError as exc:
        if exc.status_code != 404:
            raise
        created: dict[str, Any] = client.post(
            "/api/v1/endpoints", {"slug": slug, "title": "test publisher"}
        )
        console.print(
            f"created endpoint [bold]{slug}[/bold], stream key "
            f"[bold green]{created['stream_key']}[/bold green] (shown once)"
        )
        return created, str(created["stream_key"]), True
    if not key:
        raise SenderCliError(
            f"endpoint {slug!r} exists: pass its stream key with --key "
            f"(or `sender endpoints rotate-key {slug}` for a new one)"
        )
    return shown, key, False


def publish_target(
    client: ApiClient, slug: str, *, key: str | None, rtmp: str | None, console: Console
) -> str:
    """The full publish URL: a new endpoint is created (its key printed), an existing one
    needs `--key`."""
    endpoint, stream_key, created = _shown_or_created(client, slug, key=key, console=console)
    if created and not rtmp:
        return str(endpoint["publish_url"])
    return f"{_rtmp_base(client, rtmp)}/{stream_key}"


def srt_target(
    client: ApiClient,
    slug: str,
    *,
    key: str | None,
    passphrase: str | None,
    console: Console,
) -> str:
    """The SRT publish URL (MPEG-TS): a new endpoint is created, an existing one needs `--key`."""
    shown, stream_key, created = _shown_or_created(client, slug, key=key, console=console)
    if created:
        return str(shown["srt_url"])
    template = shown.get("srt_url")
    if not template:
        raise SenderCliError(f"endpoint {slug!r} takes no SRT publish (is it an origin endpoint?)")
    url = str(template).replace("{stream_key}", stream_key)
    return f"{url}&passphrase={passphrase}" if passphrase else url


async def run_publisher(url: str, *, gop_seconds: float, console: Console) -> int:
    """Publish until SIGINT/SIGTERM (0) or until the restart budget is spent (1)."""
    publisher = pattern_publisher(
        resolve_ffmpeg(os.environ.get("SENDER_FFMPEG_EXECUTABLE")), url, gop_seconds=gop_seconds
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    publisher.start()
    console.print("publishing a 320x180 test pattern; Ctrl-C stops it")
    stopper = asyncio.create_task(stop.wait())
    ended = asyncio.create_task(publisher.wait())
    try:
        await asyncio.wait({stopper, ended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await publisher.stop()
        for task in (stopper, ended):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(stopper, ended, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if not stop.is_set():
        tail = "\n".join(publisher.tail(5))
        console.print(f"[red]error:[/red] the publisher keeps failing:\n{tail}")
        return 1
    return 0
