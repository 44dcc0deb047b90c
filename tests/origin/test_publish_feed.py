"""Feeding a publish's ffmpeg: a child that stops reading its input is killed and restarted,
never left running while the stream freezes."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from sender_common.ffmpeg.command import CmafOutput
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.segments import LiveSegment
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.settings import HlsConfig
from sender_common.tasks import wait_set
from sender_origin.media.flv import TAG_VIDEO
from sender_origin.streams import publish
from sender_origin.streams.live import LivePlaylists
from sender_origin.streams.packager import packagers_for
from sender_origin.streams.publish import LivePublish, PublishInfo, feed_stdin

CHUNK = b"\x47" * (4 * 1024 * 1024)  # far more than a pipe buffer holds


async def _no_segment(_: LiveSegment, __: int) -> None:
    return None


async def _exited(proc: asyncio.subprocess.Process, deadline: float) -> int | None:
    try:
        return await asyncio.wait_for(proc.wait(), deadline)
    except TimeoutError:
        return None


async def test_a_reader_takes_the_data() -> None:
    proc = await asyncio.create_subprocess_exec(
        "cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
    )
    assert await feed_stdin(proc, CHUNK, 10.0, "cat")
    assert proc.returncode is None
    assert proc.stdin is not None
    proc.stdin.close()
    assert await _exited(proc, 10.0) == 0


async def test_a_child_that_stops_reading_is_killed() -> None:
    proc = await asyncio.create_subprocess_exec("sleep", "60", stdin=asyncio.subprocess.PIPE)
    assert not await feed_stdin(proc, CHUNK, 0.3, "sleep")
    assert await _exited(proc, 10.0) == -9


async def test_a_child_that_is_gone_is_reported() -> None:
    proc = await asyncio.create_subprocess_exec("true", stdin=asyncio.subprocess.PIPE)
    await proc.wait()
    assert not await feed_stdin(proc, CHUNK, 5.0, "true")


async def test_a_stuck_ffmpeg_is_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = tmp_path / "ffmpeg"  # takes its arguments, never reads its input
    stuck.write_text("#!/bin/sh\nexec sleep 60\n")
    stuck.chmod(stuck.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(publish, "WRITE_TIMEOUT", 0.3)
    restarted = asyncio.Event()
    hls = HlsConfig()
    (tmp_path / "source").mkdir()

    async def closed(_: LivePublish) -> None:
        return None  # pragma: no cover - the test stops the child itself

    live = LivePublish(
        PublishInfo("feed", 1, 1, "127.0.0.1", tmp_path),
        str(stuck),
        CmafOutput(hls),
        packagers=packagers_for(
            "feed",
            1,
            tmp_path,
            ["source"],
            LivePlaylists(hls, PartStore()),
            hls,
            SpoolCache(tmp_path),
            lambda _: _no_segment,
            None,
        ),
        restart_budget=3,
        on_closed=closed,
        on_restart=restarted.set,
    )
    live.start()
    try:
        assert await live.ffmpeg.wait_started(10.0)
        first = live.ffmpeg.process
        assert first is not None
        await live.write_tag(TAG_VIDEO, 0, b"\x27\x01" + CHUNK)  # an inter frame it never reads
        assert await wait_set(restarted, 15.0), "the stuck ffmpeg was left running"
        assert first.returncode == -9
        assert live.ffmpeg.process is not first
    finally:
        await live.ffmpeg.stop()
