"""The supervised ffmpeg test publisher (test pattern + tone over RTMP)."""

from __future__ import annotations

__all__ = ["pattern_publisher"]

import asyncio
from collections.abc import Awaitable, Callable

from sender_common.ffmpeg import build_test_publisher_command
from sender_common.process import SupervisedProcess


def pattern_publisher(
    ffmpeg: str,
    url: str,
    *,
    gop_seconds: float = 2.0,
    on_spawn: Callable[[asyncio.subprocess.Process], Awaitable[None]] | None = None,
) -> SupervisedProcess:
    """A 320x180 testsrc2 publisher at real-time speed, restarted with backoff if it dies."""
    argv = build_test_publisher_command(ffmpeg, url, gop_seconds=gop_seconds, realtime=True)
    return SupervisedProcess(
        "test publisher",
        lambda: argv,
        on_spawn=on_spawn,
        restart_on_clean_exit=True,
        backoff_initial=0.5,
        backoff_max=10.0,
        restart_budget=30,
        healthy_seconds=20.0,
        stop_timeout=5.0,
    )
