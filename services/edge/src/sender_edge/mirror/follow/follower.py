"""One rendition followed from its upstream into the edge's own `LivePlaylist`.

Against an LL-HLS upstream, each reload is a blocking one for the part after the last we
hold (`_HLS_msn`/`_HLS_part`, RFC 8216bis 6.2.5.2), so the upstream answers the moment it
has it; the preload-hinted part is requested at once and held upstream until complete.
Against a plain upstream the playlist is reloaded every half target (RFC 8216 6.3.4) and
whole segments are copied. Either way the edge keeps the upstream's MSNs and paths, so
every node serves the same URIs, and viewers' blocking reloads wait on this playlist: one
upstream request per rendition however many viewers wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.master import is_master_playlist
from sender_common.hls.playlist.parse import MediaPlaylist, parse_media_playlist
from sender_common.hls.playlist.segments import LiveSegment, Part
from sender_edge.mirror.follow.rendition import SpoolWindow
from sender_edge.mirror.follow.spool import older_files
from sender_edge.mirror.upstream.downloader import Downloader
from sender_edge.mirror.upstream.failures import MAX_BACKOFF, MasterSeenError
from sender_edge.mirror.upstream.fetch import (
    MAX_PLAYLIST_BYTES,
    UpstreamNotLive,
    segment_target,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Hooks:
    """How a follower tells its worker what happened."""

    progress: Callable[[], None]
    ok: Callable[[], None]
    failed: Callable[[BaseException], float]  # returns the least delay before retrying
    accept: Callable[[str], bool]  # whether a path's generation is mirrored


class Follower:
    """Follows `url` (an upstream media playlist) below `root` into `playlist`."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        root: str,
        playlist: LivePlaylist,
        downloader: Downloader,
        window: int,
        hooks: Hooks,
    ) -> None:
        self.name = name
        self.url = url
        self.playlist = playlist
        self.low_latency = False  # the upstream blocks reloads and lists parts
        self.started = False
        self._root = root
        self._dl = downloader  # and its endpoint's folder in the spool
        self._cache = downloader.context.cache
        self._dir = downloader.endpoint_dir
        self._disk = SpoolWindow(window)
        self._hooks = hooks
        self._bodies: list[bytes] = []  # of the open segment's parts, in order
        self._lead = b""  # the new init section a segment after a break starts with
        self._urls: dict[str, str] = {}

    @property
    def target(self) -> int:
        return self.playlist.target

    @property
    def hold(self) -> float:
        """How long the upstream may hold a blocking request (three targets) plus a part."""
        return 3.0 * self.target + self.playlist.part_target

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            began = loop.time()
            try:
                progressed = await self.step()
            except Exception as exc:  # the follower's top loop outlives any one bad reload
                failures += 1
                least = self._hooks.failed(exc)
                backoff = max(self.target / 2, 0.25) * (1 << min(failures, 5))
                await asyncio.sleep(max(least, min(MAX_BACKOFF, backoff)))
                continue
            failures = 0
            self._hooks.ok()
            pause = self.pause(progressed)
            if pause:  # reloads timed from the previous one
                await asyncio.sleep(max(0.0, began + pause - loop.time()))

    def pause(self, progressed: bool) -> float:
        """How long after a reload began the next one starts (0: at once)."""
        if self.playlist.ended:  # only a restart upstream can change it: a target apart
            return max(1.0, float(self.target))
        if self.low_latency:  # the next blocking reload at once; nothing new: a part later
            return 0.0 if progressed else self.playlist.part_target
        return max(0.25, self.target / 2)  # a plain upstream (RFC 8216 6.3.4)

    async def step(self) -> bool:
        """One reload (blocking when the upstream can); True when something new arrived."""
        pl = self.playlist
        if self.started and self.low_latency and not pl.ended:
            url = f"{self.url}?_HLS_msn={pl.next_msn}&_HLS_part={len(pl.parts)}"
            try:
                text = await self._dl.playlist(url, hold=self.hold, limit=MAX_PLAYLIST_BYTES)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 400:
                    raise
                # 400: our position is unknown upstream (it restarted lower): plain reload
                text = await self._dl.playlist(self.url, limit=MAX_PLAYLIST_BYTES)
        else:
            text = await self._dl.playlist(self.url, limit=MAX_PLAYLIST_BYTES)
        if is_master_playlist(text):
            raise MasterSeenError("the upstream now serves a master playlist")
        return await self.apply(parse_media_playlist(text))

    # -- applying one upstream playlist ------------------------------------------------------

    async def apply(self, up: MediaPlaylist) -> bool:
        """Bring the edge's playlist up to `up`; True when something new arrived."""
        self._localize(up)
        pl = self.playlist
        self.low_latency = up.low_latency
        pl.target = max(1, up.target_duration)
        if up.part_target:
            pl.part_target = up.part_target
        segs = [s for s in up.segments if self._hooks.accept(s.uri)]
        open_parts = [p for p in up.parts if self._hooks.accept(p.uri)] if self.low_latency else []
        if not segs and not open_parts:
            return self._end(up)
        if not self.started or self._lost(segs, up.next_msn):
            await self._restart(segs[0].msn if segs else up.next_msn, segs)
        progressed = False
        # whole segments to catch up on, fetched together and folded in order below
        ahead = [s for s in segs if s.msn > pl.next_msn and not (self.low_latency and s.parts)]
        got = await asyncio.gather(
            *(self._dl.file(self._urls[s.uri], s.uri) for s in ahead), return_exceptions=True
        )
        # a failed fetch is not repeated: its error is raised (or handled) in its turn
        failed = {s.uri: r for s, r in zip(ahead, got, strict=True) if isinstance(r, Exception)}
        for seg in segs:
            if seg.msn == pl.next_msn:
                await self._complete(seg, failed.get(seg.uri))
                progressed = True
        if up.next_msn == pl.next_msn and open_parts:
            progressed = await self._extend(open_parts, up) or progressed
        hint = up.hint if up.hint and self._hooks.accept(up.hint) else None
        if self.low_latency and hint is not None and up.next_msn == pl.next_msn:
            pl.set_hint(hint)
            self._dl.hint(self._urls[hint], hint, self.hold)
        else:
            pl.set_hint(None)
        if progressed:
            self._hooks.progress()
        return self._end(up) or progressed

    def _end(self, up: MediaPlaylist) -> bool:
        if up.endlist and not self.playlist.ended:
            self.playlist.end()
            return True
        return False

    def _localize(self, up: MediaPlaylist) -> None:
        """Check every URI and turn it into its path below the endpoint (`{gen}/{r}/{file}`)."""
        self._urls = {}

        def local(uri: str) -> str:
            url, path = segment_target(self.url, uri, self._root)
            self._urls[path] = url
            return path

        def parts(items: list[Part]) -> list[Part]:
            return [Part(local(p.uri), p.duration, p.independent) for p in items]

        for seg in up.segments:
            seg.uri = local(seg.uri)
            seg.map_uri = local(seg.map_uri) if seg.map_uri else None
            seg.parts = parts(seg.parts)
        up.parts = parts(up.parts)
        up.open_map = local(up.open_map) if up.open_map else None
        up.hint = local(up.hint) if up.hint else None

    def _lost(self, segs: list[LiveSegment], up_next: int) -> bool:
        """The upstream restarted or moved past segments we never got."""
        pl = self.playlist
        if up_next < pl.next_msn or (segs and segs[0].msn > pl.next_msn):
            return True
        mine = {s.msn: s.uri for s in pl.segments}
        return any(s.msn in mine and mine[s.msn] != s.uri for s in segs)

    async def _restart(self, first_msn: int, segs: list[LiveSegment]) -> None:
        gone = self._disk.reset()
        if not self.started and segs:  # a restart of the edge: older files are not ours
            gone += await asyncio.to_thread(older_files, self._dir, segs[0].uri)
        await self._prune(gone)
        self.playlist.restart(first_msn)
        self._bodies, self._lead = [], b""
        self.started = True

    async def _begin(self, map_path: str | None, discontinuity: bool) -> None:
        """Before the first part or segment of a new segment: its init section and break."""
        pl = self.playlist
        if map_path is not None and map_path != pl.map_uri:
            await self._dl.file(self._urls[map_path], map_path)
            self._disk.add_map(map_path)
            if discontinuity and pl.segments:  # as the origin writes it (see cmaf/splice.py)
                self._lead = await asyncio.to_thread((self._dir / map_path).read_bytes)
            pl.set_map(map_path, discontinuity=discontinuity)
        elif discontinuity:
            pl.mark_discontinuity()

    def _keep_open(self, listed: list[Part]) -> int:
        """How many of our open parts the upstream lists too (all, or we drop them)."""
        pl = self.playlist
        k = len(pl.parts)
        if k and [p.uri for p in listed[:k]] != [p.uri for p in pl.parts]:
            pl.discard_open()  # the upstream dropped that segment's parts (producer died)
            self._bodies = []
            return 0
        return k

    async def _add_parts(self, listed: list[Part], pdt: float | None) -> None:
        bodies = await asyncio.gather(*(self._dl.part(self._urls[p.uri], p.uri) for p in listed))
        for p, body in zip(listed, bodies, strict=True):
            first = not self.playlist.parts
            self.playlist.add_part(
                Part(p.uri, p.duration, p.independent), body, pdt=pdt if first else None
            )
            self._bodies.append(body)

    async def _complete(self, seg: LiveSegment, failed: Exception | None = None) -> None:
        """The upstream finished the segment we hold open (or that is next); `failed`: how
        fetching it already failed."""
        pl = self.playlist
        k = self._keep_open(seg.parts) if seg.parts else len(pl.parts)
        if k == 0:
            await self._begin(seg.map_uri, seg.discontinuity)
        if self.low_latency and len(seg.parts) > k:  # listed parts: the edge lists them too
            await self._add_parts(seg.parts[k:], seg.pdt)
        whole = bool(self._bodies) and len(self._bodies) == len(pl.parts) == len(seg.parts)
        try:
            if whole:  # a segment is its parts back to back: no upstream request for it
                await self._dl.store(seg.uri, self._lead + b"".join(self._bodies))
            elif failed is not None:
                raise failed
            else:
                await self._dl.file(self._urls[seg.uri], seg.uri)
        except UpstreamNotLive:
            log.warning("%s: %s vanished upstream; skipped", self._dl.slug, seg.uri)
            await self._restart(seg.msn + 1, [])
            return
        if pl.parts:
            pl.close_segment(seg.uri, seg.duration)
        else:
            pl.add_segment(seg.uri, seg.duration, pdt=seg.pdt)
        self._bodies, self._lead = [], b""
        await self._prune(self._disk.add(seg.uri, pl.map_uri))

    async def _extend(self, listed: list[Part], up: MediaPlaylist) -> bool:
        """New parts of the open segment."""
        k = self._keep_open(listed)
        if k >= len(listed):
            return False
        if k == 0:
            await self._begin(up.open_map, up.open_discontinuity)
        await self._add_parts(listed[k:], up.open_pdt)
        return True

    async def _prune(self, paths: list[str]) -> None:
        for rel in paths:
            self._cache.forget(f"{self._dl.slug}/{rel}")
            await asyncio.to_thread((self._dir / rel).unlink, True)

    async def close(self) -> None:
        await self._dl.close()
        self.playlist.forget()
