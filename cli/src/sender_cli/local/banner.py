"""The panel `sender up` prints once everything is ready."""

from __future__ import annotations

__all__ = ["banner"]

from typing import Any, Protocol, runtime_checkable

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sender_cli.local.roles import UpConfig
from sender_common.settings import role_settings
from sender_common.settings_env import given


@runtime_checkable
class IngestAddresses(Protocol):
    """What the origin's settings say about where it takes a publish."""

    def publish_base(self) -> str: ...

    def srt_url(self, key: str, passphrase: str | None = None) -> str: ...


def origin_ingest(config: UpConfig) -> IngestAddresses:
    """The origin's settings as `sender up` starts it: where it takes RTMP and SRT."""
    host = config.url(config.rtmp_port).removeprefix("http://").rsplit(":", 1)[0]
    origin = role_settings("origin")
    ingest = given(origin, host=host, rtmp_port=config.rtmp_port, srt_port=config.srt_port)
    assert isinstance(ingest, IngestAddresses)
    return ingest


def banner(
    config: UpConfig,
    roles: dict[str, str],
    *,
    endpoint: dict[str, Any] | None,
    skipped: dict[str, str],
) -> Panel:
    """OBS settings, console/player/HLS/metrics/docs URLs of the running roles."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    ingest = origin_ingest(config)
    grid.add_row("OBS server", ingest.publish_base())
    slug = endpoint["slug"] if endpoint else None
    key = str(endpoint["stream_key"]) if endpoint else "{stream_key}"
    grid.add_row("SRT (OBS, ffmpeg)", ingest.srt_url(key))
    if endpoint is not None:
        grid.add_row("Stream key", Text(str(endpoint["stream_key"]), style="bold green"))
        grid.add_row("", Text("a test pattern is publishing into it (--demo)", style="dim"))
    else:
        grid.add_row("Stream key", "create an endpoint: sender endpoints create NAME")
    grid.add_row("OBS output", "Keyframe Interval 1 s (or 2 s; never above the segment target)")
    grid.add_row("Latency", "low-latency HLS: about 1.5 to 2 s behind live")
    name = slug or "{endpoint}"
    if "origin" in roles:  # streams, keys, preview and viewers without a terminal
        grid.add_row("Console", f"{roles['origin']}/sender/console")
    for role in ("origin", "edge"):
        if role in roles:
            grid.add_row(f"Player ({role})", f"{roles[role]}/sender/player/{name}")
    for role in ("origin", "edge"):
        if role in roles:
            grid.add_row(f"HLS ({role})", f"{roles[role]}/sender/hls/{name}/live.m3u8")
    if "metrics" in roles:
        grid.add_row("Metrics", f"{roles['metrics']}/metrics")
    for role, url in roles.items():
        grid.add_row(f"API docs ({role})", f"{url}/docs")
    grid.add_row("Data", str(config.data_dir))
    parts: list[Any] = [grid]
    for role, why in skipped.items():
        parts.append(Text(f"{role} not started: {why}", style="yellow"))
    parts.append(Text("Ctrl-C stops everything.", style="dim"))
    return Panel(Group(*parts), title="Sender is running", border_style="green", expand=False)
