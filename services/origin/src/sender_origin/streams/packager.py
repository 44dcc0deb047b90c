"""CMAF packaging by the node: one rendition's fragmented MP4 becomes LL-HLS parts and segments.

ffmpeg writes `ftyp+moov`, then `moof+mdat` fragments (cut at keyframes and about every
part duration) to a pipe. The init section goes to the spool; every fragment becomes a
part at once (in memory, listed with EXT-X-PART); parts are grouped into segments of about
the segment target, cut only where a part starts with a keyframe, and each finished
segment is written to the spool for plain HLS clients, edges and retention.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from sender_common.cmaf.fmp4 import Fmp4Error, InitInfo, NoMainTrack, parse_fragment, parse_init
from sender_common.cmaf.splice import Splice
from sender_common.files import write_atomic
from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.segments import LiveSegment, Part
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.settings import HlsConfig
from sender_origin.streams.live import LivePlaylists

log = logging.getLogger(__name__)
SegmentHook = Callable[[LiveSegment, int], Awaitable[None]]  # a segment and its size, on disk
MAX_BOX = 64 * 1024 * 1024
CUT_SHARE = 0.75  # a keyframe part may start a new segment once this much of the target passed
READ_LIMIT = 1 << 20


async def open_pipe(fd: int) -> tuple[asyncio.StreamReader, asyncio.ReadTransport]:
    """An asyncio reader on the read end of a pipe (the transport owns the fd)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    protocol = asyncio.StreamReaderProtocol(reader)
    transport, _ = await loop.connect_read_pipe(lambda: protocol, os.fdopen(fd, "rb", 0))
    return reader, transport


async def read_box(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    """(type, whole box) or None at a clean end of stream."""
    try:
        head = await reader.readexactly(8)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise Fmp4Error("truncated box header") from exc
        return None
    size, kind = struct.unpack(">I4s", head)
    if size == 1:
        large = await reader.readexactly(8)
        head += large
        size = struct.unpack(">Q", large)[0]
    if size < len(head) or size > MAX_BOX:
        raise Fmp4Error(f"box {kind!r} of {size} bytes")
    return kind, head + await reader.readexactly(size - len(head))


class RenditionPackager:
    """Packages one rendition of one publish; `run` is called once per ffmpeg run."""

    def __init__(
        self,
        *,
        slug: str,
        generation: int,
        rendition: str,
        rdir: Path,
        playlist: LivePlaylist,
        hls: HlsConfig,
        cache: SpoolCache,
        splice: Splice | None = None,
        on_init: Callable[[InitInfo], None] | None = None,
        on_segment: SegmentHook | None = None,
        keep_segments: int | None = None,
    ) -> None:
        self.slug = slug
        self.rdir = rdir
        self.base = f"{generation}/{rendition}/"
        self.playlist = playlist
        self.hls = hls
        self.cache = cache
        self.splice = splice or Splice()
        self.on_init = on_init
        self.on_segment = on_segment
        self.init: InitInfo | None = None
        self.segments = 0
        self._open: list[bytes] = []
        self._open_duration = 0.0
        self._anchor: float | None = None
        self._written: deque[str] = deque()
        self._keep = keep_segments  # None: keep every segment (recording)
        self._disk_error = False
        self._lead: bytes | None = None  # an init section the next segment file starts with

    async def run(self, fd: int) -> None:
        """Read one ffmpeg run's output until it ends; the open segment is then finished."""
        reader, transport = await open_pipe(fd)
        self.init, self._anchor = None, None
        head = b""
        moof: bytes | None = None
        try:
            while (box := await read_box(reader)) is not None:
                kind, data = box
                if kind in (b"ftyp", b"moov"):
                    head = data if kind == b"ftyp" else head + data
                    if kind == b"moov":
                        await self._new_init(head)
                elif kind == b"moof":
                    moof = data
                elif kind == b"mdat" and moof is not None and self.init is not None:
                    await self._fragment(moof, data)
                    moof = None
        except (Fmp4Error, asyncio.IncompleteReadError, ConnectionError) as exc:
            log.warning("%s: unreadable fragmented MP4 from ffmpeg: %s", self.base, exc)
            with contextlib.suppress(Exception):
                while await reader.read(READ_LIMIT):
                    pass  # keep draining so ffmpeg is never blocked on a full pipe
        finally:
            transport.close()
            await self._finish_segment()
            self.playlist.set_hint(None)

    async def _new_init(self, data: bytes) -> None:
        await self._finish_segment()
        self.init = parse_init(data)
        current = self.playlist.map_uri
        # a timeline continues inside a generation; a new one starts its own
        ours = current if current is not None and current.startswith(self.base) else None
        if self.splice.begin(data, self.init, ours):
            log.info("%s: the same init section again: the timeline continues", self.base)
        else:
            name = f"init{self.playlist.next_msn}.mp4"
            await self._store(name, data)
            self.playlist.set_map(self.base + name, discontinuity=True)
            self._lead = data if self.playlist.segments else None
        if self.playlist.map_uri is not None:
            self.splice.placed(self.playlist.map_uri)
        if self.on_init is not None:
            self.on_init(self.init)

    async def _fragment(self, moof: bytes, mdat: bytes) -> None:
        assert self.init is not None
        moof = self.splice.fragment(moof)
        try:
            info = parse_fragment(moof, self.init)
        except NoMainTrack:
            # a run restarted mid-stream may open with audio alone: skip it rather than give
            # up on the whole run (which left the stream without segments until the next one)
            log.info("%s: a fragment without the main track skipped", self.base)
            return
        now = time.time()
        if self._anchor is None:
            self._anchor = now - info.start - info.duration
        cut = self.hls.segment_seconds * CUT_SHARE
        if info.independent and self._open and self._open_duration >= cut:
            await self._finish_segment()
        body = moof + mdat
        uri = f"{self.base}part{self.playlist.part_seq}.m4s"
        self.playlist.add_part(
            Part(uri, info.duration, info.independent), body, pdt=self._anchor + info.start
        )
        self._open.append(body)
        self._open_duration += info.duration
        self.playlist.set_hint(f"{self.base}part{self.playlist.part_seq}.m4s")

    async def _finish_segment(self) -> None:
        if not self._open:
            return
        name = f"seg{self.playlist.next_msn}.m4s"
        body, duration = b"".join(self._open), self._open_duration
        if self._lead is not None:  # a break: see sender_common.cmaf.splice
            body, self._lead = self._lead + body, None
        self._open, self._open_duration = [], 0.0
        written = await self._store(name, body)
        seg = self.playlist.close_segment(self.base + name, duration)
        self.segments += 1
        if self.on_segment is not None and written:
            await self.on_segment(seg, len(body))
        if self._keep is not None:
            self._written.append(name)
        while self._keep is not None and len(self._written) > self._keep:
            old = self._written.popleft()
            self.cache.forget(f"{self.slug}/{self.base}{old}")
            await asyncio.to_thread((self.rdir / old).unlink, True)

    async def _store(self, name: str, body: bytes) -> bool:
        """Into the cache at once (served from memory), and to the spool; False when the
        spool refused it."""
        self.cache.put_bytes(f"{self.slug}/{self.base}{name}", body, time.time_ns())
        try:
            await asyncio.to_thread(write_atomic, self.rdir / name, body)
        except OSError as exc:  # a full disk: keep serving from memory, say so once a while
            if not self._disk_error:
                log.warning("%s: cannot write %s to the spool: %s", self.slug, name, exc)
            self._disk_error = True
            return False
        self._disk_error = False
        return True


def packagers_for(
    slug: str,
    generation: int,
    gen_dir: Path,
    renditions: list[str],
    live: LivePlaylists,
    hls: HlsConfig,
    cache: SpoolCache,
    on_segment: Callable[[str], SegmentHook],
    keep_segments: int | None,
) -> list[RenditionPackager]:
    """One packager per rendition of a publish, feeding the endpoint's live playlists."""
    return [
        RenditionPackager(
            slug=slug,
            generation=generation,
            rendition=name,
            rdir=gen_dir / name,
            playlist=live.playlist(slug, name, generation),
            hls=hls,
            cache=cache,
            splice=live.splice(slug, name),
            on_init=lambda info, name=name: live.set_codecs(slug, name, info.codecs),  # type: ignore[misc]
            on_segment=on_segment(name),
            keep_segments=keep_segments,
        )
        for name in renditions
    ]
