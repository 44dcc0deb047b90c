"""Real ffmpeg publishing over RTMP: every tag reaches the sink with ffmpeg's own timestamp.

A still picture at a fixed size and constant-size AAC frames make ffmpeg's RTMP muxer send
type-3 chunk headers that start new messages (same type, size and delta as the previous one),
the case whose timestamp must advance by the previous delta. A small acknowledgement window
makes the server acknowledge often while ffmpeg publishes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from sender_origin.ingest.admission import PublishRefused
from sender_origin.ingest.rtmp import server as rtmp
from sender_origin.ingest.rtmp.chunks import ChunkReader
from sender_origin.ingest.rtmp.server import RtmpIngest
from tests.origin.ingest.media import flv_tags, still_argv

pytestmark = pytest.mark.slow
KEY = "sk_timestamps"


class RecordingSink:
    def __init__(self) -> None:
        self.tags: list[tuple[int, int, int]] = []
        self.closed = asyncio.Event()

    async def write_tag(self, tag_type: int, timestamp: int, payload: bytes) -> None:
        if tag_type in (8, 9):
            self.tags.append((tag_type, timestamp, len(payload)))

    async def close(self) -> None:
        self.closed.set()

    def bind_kick(self, kick: Callable[[], None]) -> None:
        del kick


async def run(argv: list[str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]


async def test_ingest_timestamps_equal_ffmpeg_flv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = RecordingSink()
    acks: list[int] = []
    take_ack = ChunkReader.take_ack

    def recording_take_ack(self: ChunkReader) -> int | None:
        seq = take_ack(self)
        if seq is not None:
            acks.append(seq)
        return seq

    monkeypatch.setattr(ChunkReader, "take_ack", recording_take_ack)
    monkeypatch.setattr(rtmp, "WINDOW", 2_000)

    async def authorize(app: str, key: str, peer: str) -> RecordingSink:
        if (app, key) != ("live", KEY):
            raise PublishRefused("unknown stream key")
        return sink

    ingest = RtmpIngest(authorize, port=0)
    await ingest.start()
    try:
        reference = tmp_path / "reference.flv"
        await run([*still_argv(20), str(reference)])
        await run([*still_argv(20), f"rtmp://127.0.0.1:{ingest.port}/live/{KEY}"])
        await asyncio.wait_for(sink.closed.wait(), 10)
    finally:
        await ingest.stop()
    expected = flv_tags(reference)
    assert len(expected) > 1000
    # ffmpeg closes its socket with our acknowledgements unread, so the kernel may reset the
    # connection and drop the last few tags still in flight; everything that arrived is exact
    assert sink.tags == expected[: len(sink.tags)]
    assert len(sink.tags) >= len(expected) - 60
    video = [ts for kind, ts, _ in sink.tags if kind == 9]
    assert video[-1] - video[0] >= 19_000
    assert len(acks) >= 5 and acks == sorted(acks)
    assert all(b - a >= 2_000 for a, b in itertools.pairwise(acks))
