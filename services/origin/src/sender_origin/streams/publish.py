"""One accepted publish: FLV tags (RTMP) or MPEG-TS bytes (SRT) piped into a supervised ffmpeg
whose fragmented MP4 outputs (one pipe per rendition) the node packages into the generation's
parts and segments."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sender_common.ffmpeg.command import CmafOutput, build_cmaf_command
from sender_common.process import SupervisedProcess
from sender_origin.media import keyframes
from sender_origin.media.flv import (
    FLV_HEADER,
    TAG_SCRIPT,
    TAG_VIDEO,
    flv_tag,
    is_keyframe,
    is_sequence_header,
)
from sender_origin.media.mpegts import TsResume
from sender_origin.streams.bitrate import BitrateMeter
from sender_origin.streams.packager import RenditionPackager

log = logging.getLogger(__name__)
WRITE_TIMEOUT = 10.0
EARLY_MAX = 8 * 1024 * 1024  # media kept while the first ffmpeg starts (nothing is lost)
TagTap = Callable[[int, int, bytes], None]  # (tag type, timestamp, payload) as received


async def feed_stdin(
    proc: asyncio.subprocess.Process, data: bytes, timeout: float, name: str
) -> bool:
    """Write `data` to `proc`'s stdin; whether it was taken within `timeout` seconds. A process
    that stops reading is killed: its supervisor restarts it, where a live process that takes
    nothing would freeze the stream while its status says live."""
    assert proc.stdin is not None
    try:
        async with asyncio.timeout(timeout):
            if proc.returncode is not None or proc.stdin.is_closing():
                raise BrokenPipeError  # gone already: a write to a closed pipe is dropped
            proc.stdin.write(data)
            await proc.stdin.drain()
    except ConnectionError as exc:
        log.warning("%s: ffmpeg input failed (%s)", name, type(exc).__name__)
        return False
    except TimeoutError:
        log.warning("%s: ffmpeg took no input for %.0fs; killing it", name, timeout)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        return False
    return True


@dataclass(slots=True)
class PublishInfo:
    slug: str
    endpoint_id: int
    generation: int
    peer: str
    gen_dir: Path


class LivePublish:
    """The sink for one publish (FLV tags, or MPEG-TS with `input_format="mpegts"`); owns the
    generation's ffmpeg."""

    def __init__(
        self,
        info: PublishInfo,
        ffmpeg: str,
        out: CmafOutput,
        *,
        packagers: list[RenditionPackager],
        restart_budget: int,
        on_closed: Callable[[LivePublish], Awaitable[None]],
        on_restart: Callable[[], None],
        on_bytes: Callable[[int], None] | None = None,
        input_format: str = "flv",
        tap: TagTap | None = None,
    ) -> None:
        self.info = info
        self._tap = tap
        self.started_at = time.time()
        self.bytes_in = 0
        self.bitrate = BitrateMeter()
        self._on_bytes = on_bytes
        self.keyframes = keyframes.KeyframeMonitor(out.hls.segment_seconds, info.slug)
        self._on_closed = on_closed
        self._on_restart = on_restart
        self._kick: Callable[[], None] | None = None
        self._headers: dict[int, bytes] = {}
        self._meta: bytes | None = None
        self._ready_pid: int | None = None
        self._need_keyframe = False
        self._early: list[bytes] = []
        self._early_bytes = 0
        self._input_format = input_format
        self._need_sync = True  # MPEG-TS: a fresh ffmpeg starts at a keyframe
        self._resume = TsResume()
        self._spawns = 0
        self._closed = False
        self.no_grace = False
        self.packagers = packagers
        self._readers: set[asyncio.Task[None]] = set()
        self.ffmpeg = SupervisedProcess(
            f"ffmpeg:{info.slug}:{info.generation}",
            list,
            piped_argv=lambda fds: build_cmaf_command(ffmpeg, out, fds, input_format=input_format),
            output_pipes=len(packagers),
            stdin_pipe=True,
            on_spawn=self._prime,
            restart_budget=restart_budget,
            backoff_initial=0.25,
            backoff_max=4.0,
        )

    def bind_kick(self, kick: Callable[[], None]) -> None:
        self._kick = kick

    def kick(self) -> None:
        if self._kick is not None:
            self._kick()

    def start(self) -> None:
        self.ffmpeg.start()

    async def _prime(self, proc: asyncio.subprocess.Process) -> None:
        """A fresh ffmpeg needs the FLV header, metadata and decoder configs before media;
        its output pipes get one packager reader each."""
        for packager, fd in zip(self.packagers, self.ffmpeg.take_pipes(), strict=True):
            task = asyncio.create_task(packager.run(fd), name=f"package:{packager.base}")
            self._readers.add(task)
            task.add_done_callback(self._readers.discard)
        self._spawns += 1
        if self._spawns > 1:
            self._on_restart()
            self._need_keyframe = True
        if self._input_format != "flv":
            self._need_sync = True  # a byte stream needs no priming, only a clean start
            self._ready_pid = proc.pid
            return
        assert proc.stdin is not None
        data = FLV_HEADER
        if self._meta is not None:
            data += flv_tag(TAG_SCRIPT, 0, self._meta)
        for tag_type, payload in self._headers.items():
            data += flv_tag(tag_type, 0, payload)
        if self._spawns == 1:  # what arrived while the first ffmpeg started, keyframe first
            data += b"".join(self._early)
        self._early, self._early_bytes = [], 0
        self._ready_pid = proc.pid  # later tags queue behind these bytes
        await self._feed(proc, data)

    async def _feed(self, proc: asyncio.subprocess.Process, data: bytes) -> None:
        """Hand `data` to this ffmpeg; one that fails to take it stops being fed until the
        supervisor has restarted (and primed) it."""
        if not await feed_stdin(proc, data, WRITE_TIMEOUT, self.ffmpeg.name):
            self._ready_pid = None

    def _count(self, nbytes: int) -> None:
        self.bytes_in += nbytes
        self.bitrate.add(nbytes)
        if self._on_bytes is not None:
            self._on_bytes(nbytes)

    async def write_tag(self, tag_type: int, timestamp: int, payload: bytes) -> None:
        self._count(len(payload))
        self.keyframes.feed(tag_type, timestamp, payload)
        if self._tap is not None:
            self._tap(tag_type, timestamp, payload)
        if tag_type == TAG_SCRIPT:
            self._meta = payload
        elif is_sequence_header(tag_type, payload):
            self._headers[tag_type] = payload
        proc = self.ffmpeg.process
        if proc is None or proc.returncode is not None or proc.pid != self._ready_pid:
            if self._spawns == 0 and tag_type != TAG_SCRIPT and self._early_bytes < EARLY_MAX:
                if not is_sequence_header(tag_type, payload):
                    self._early.append(flv_tag(tag_type, timestamp, payload))
                    self._early_bytes += len(payload)
            return  # ffmpeg is restarting: drop media until it is primed
        if self._need_keyframe:
            if tag_type == TAG_VIDEO and is_keyframe(tag_type, payload):
                self._need_keyframe = False
            elif tag_type == TAG_VIDEO or TAG_VIDEO not in self._headers:
                return
        await self._feed(proc, flv_tag(tag_type, timestamp, payload))

    async def write_bytes(self, data: bytes) -> None:
        """MPEG-TS as received; a fresh ffmpeg gets it from a video keyframe on."""
        self._count(len(data))
        proc = self.ffmpeg.process
        if proc is None or proc.returncode is not None or proc.pid != self._ready_pid:
            return  # ffmpeg is (re)starting
        if self._need_sync:
            start = self._resume.start(data)
            if start is None:
                return
            data, self._need_sync = start, False
        await self._feed(proc, data)

    async def close(self) -> None:
        """The publisher left: let ffmpeg finish the playlist (ENDLIST), then report."""
        if self._closed:
            return
        self._closed = True
        await self.ffmpeg.stop(graceful=self._end_input)
        if self._readers:  # the last segment is written before the generation may end
            await asyncio.wait(list(self._readers), timeout=WRITE_TIMEOUT)
        for task in list(self._readers):
            task.cancel()
        await self._on_closed(self)

    async def _end_input(self) -> None:
        proc = self.ffmpeg.process
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            await proc.wait()
