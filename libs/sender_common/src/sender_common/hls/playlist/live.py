"""One live media playlist with LL-HLS parts, the same model at the origin and on edges.

Segments and parts arrive in order (the origin's packager, or an edge following its
upstream); the playlist keeps one rising media sequence number (MSN), discontinuities at
breaks with a new `EXT-X-MAP`, parts for the newest segments (RFC 8216bis 4.4.4.9), the
preload hint for the next part (4.4.5.3), and answers blocking reloads (6.2.5.2) with one
shared wake-up per change, however many requests wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.render import render_live_bytes
from sender_common.hls.playlist.segments import LiveSegment, Part, RenditionReport

log = logging.getLogger(__name__)
__all__ = ["RELEASE_HOOKS", "LivePlaylist", "LiveWait", "live_changes"]
# called after each change that released waiting requests, with the seconds from the change
# to each listener's return (rising): the serving path answers one waiting request in each
RELEASE_HOOKS: list[Callable[[list[float]], None]] = []
PART_SEGMENTS = 3  # segments that keep their EXT-X-PART lines (about three target durations)
Render = Callable[[], bytes | None]


@dataclass(frozen=True, slots=True)
class LiveWait:
    """A blocking reload that is not satisfied yet: wait on `playlist` (at most `timeout`),
    then answer with `render()` (also after the timeout: the playlist as it is then)."""

    playlist: LivePlaylist
    msn: int
    part: int | None
    timeout: float
    render: Render

    def ready(self) -> bool:
        return self.playlist.satisfied(self.msn, self.part)

    async def result(self) -> bytes | None:
        await self.playlist.wait(self.msn, self.part, self.timeout)
        return self.render()


class LivePlaylist:
    """A sliding window of segments plus the open segment's parts."""

    def __init__(
        self,
        *,
        window: int,
        segment_target: float,
        part_target: float,
        first_msn: int = 0,
        store: PartStore | None = None,
        store_prefix: str = "",
    ) -> None:
        self.window = window
        self.part_target = part_target
        self.segments: deque[LiveSegment] = deque()
        self.parts: list[Part] = []  # of the open segment, whose MSN is `next_msn`
        self.next_msn = first_msn
        self.target = max(1, round(segment_target))
        self.ended = False
        self.hint: str | None = None
        self.part_seq = 0  # parts ever added: producers name parts by it (stable hints)
        self.disc_seq = 0
        self.independent = True
        self._first_msn = first_msn
        self._map: str | None = None
        self.open_discontinuity = False
        self.open_pdt: float | None = None
        self._store = store
        self._prefix = store_prefix
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[], None]] = []
        self.version = 0  # rises with every change: a rendered text stays valid until then
        self.rendered: tuple[tuple[object, ...], bytes] | None = None

    # -- building -----------------------------------------------------------------------

    @property
    def map_uri(self) -> str | None:
        return self._map

    def set_map(self, uri: str, *, discontinuity: bool) -> None:
        """A new init section; with `discontinuity`, the next segment starts a new timeline."""
        self._map = uri
        self.version += 1
        if discontinuity and self.next_msn != self._first_msn:
            self.open_discontinuity = True

    def mark_discontinuity(self) -> None:
        if self.next_msn != self._first_msn:
            self.open_discontinuity = True
            self.version += 1

    def add_part(self, part: Part, body: bytes | None = None, *, pdt: float | None = None) -> None:
        """A complete part of the open segment (with its bytes, kept in the part store)."""
        if not self.parts:
            self.open_pdt = pdt
        self.parts.append(part)
        self.part_seq += 1
        if body is not None and self._store is not None:
            self._store.put(self._prefix + part.uri, body)
        self.ended = False
        self._notify()

    def close_segment(self, uri: str, duration: float) -> LiveSegment:
        """The open segment is complete (its parts, if any, stay listed for a while)."""
        seg = LiveSegment(
            self.next_msn,
            uri,
            duration,
            self._map,
            self.open_discontinuity,
            self.open_pdt,
            self.parts,
        )
        self._push(seg)
        return seg

    def add_segment(
        self, uri: str, duration: float, *, pdt: float | None = None, independent: bool = True
    ) -> LiveSegment:
        """A whole segment that had no parts (an offline slate, a plain upstream)."""
        if self.parts:
            raise ValueError("a segment is open")
        self.open_pdt = pdt
        seg = LiveSegment(self.next_msn, uri, duration, self._map, self.open_discontinuity, pdt, [])
        self.independent = self.independent and independent
        self._push(seg)
        return seg

    def discard_open(self) -> None:
        """Drop the open segment's parts (its producer died mid-segment)."""
        for part in self.parts:
            self._drop(part)
        self.parts = []
        self._notify()

    def _push(self, seg: LiveSegment) -> None:
        self.segments.append(seg)
        self.next_msn += 1
        self.parts, self.open_discontinuity, self.open_pdt = [], False, None
        self.target = max(self.target, round(seg.duration))
        self.ended = False
        while len(self.segments) > self.window:
            gone = self.segments.popleft()
            if gone.discontinuity:
                self.disc_seq += 1
            for part in gone.parts:
                self._drop(part)
        if len(self.segments) > PART_SEGMENTS:  # only this push's segment crossed the line
            old = self.segments[-PART_SEGMENTS - 1]
            for part in old.parts:
                self._drop(part)
            old.parts = []
        self._notify()

    def _drop(self, part: Part) -> None:
        if self._store is not None:
            self._store.drop(self._prefix + part.uri)

    def set_hint(self, uri: str | None) -> None:
        if self._store is not None:
            if self.hint is not None and self.hint != uri:
                self._store.unhint(self._prefix + self.hint)
            if uri is not None:
                self._store.hint(self._prefix + uri)
        if uri != self.hint:
            self.hint = uri
            self.version += 1  # the preload hint is part of the text (no wake-up: no new part)

    def end(self) -> None:
        """ENDLIST: the live window ends (the generation ended or the upstream went away)."""
        self.set_hint(None)
        self.ended = True
        self._notify()

    def forget(self) -> None:
        """Drop every part held for this playlist."""
        for seg in self.segments:
            for part in seg.parts:
                self._drop(part)
        for part in self.parts:
            self._drop(part)
        self.set_hint(None)
        self._notify()

    def restart(self, first_msn: int) -> None:
        """Start over empty at `first_msn` (a follower lost track of its upstream)."""
        self.forget()
        self.segments.clear()
        self.parts = []
        self.next_msn = self._first_msn = first_msn
        self.disc_seq = 0
        self.ended = False
        self._map, self.open_discontinuity, self.open_pdt = None, False, None
        self._notify()

    changes = 0  # every live playlist's changes, for `live_changes`

    def _notify(self) -> None:
        self.version += 1
        LivePlaylist.changes += 1
        self._changed.set()
        self._changed = asyncio.Event()
        if self._listeners:
            clock = time.perf_counter
            began = clock()
            listeners, self._listeners = self._listeners, []
            done = [0.0] * len(listeners)
            for i, listener in enumerate(listeners):
                try:
                    listener()
                except Exception:  # one listener's failure must not strand the others
                    log.exception("a playlist listener failed")
                done[i] = clock()
            for hook in RELEASE_HOOKS:  # the waiters' answers, in the order they were written
                hook([t - began for t in done])

    @property
    def listeners(self) -> int:
        """Listeners waiting for the next change."""
        return len(self._listeners)

    def listen(self, listener: Callable[[], None]) -> None:
        """Call `listener` once, at the next change (a waiter that is still not satisfied
        listens again): the serving path's blocking reloads wait without a task each."""
        self._listeners.append(listener)

    # -- blocking reloads -----------------------------------------------------------------

    @property
    def last_msn(self) -> int:
        return self.next_msn if self.parts else self.next_msn - 1

    @property
    def last_part(self) -> int | None:
        if self.parts:
            return len(self.parts) - 1
        if self.segments and self.segments[-1].parts:
            return len(self.segments[-1].parts) - 1
        return None

    def satisfied(self, msn: int, part: int | None) -> bool:
        """Whether the playlist holds segment `msn` (and its part `part`) or anything later."""
        if self.ended or msn < self.next_msn:
            return True
        return msn == self.next_msn and part is not None and len(self.parts) > part

    def too_far(self, msn: int) -> bool:
        """More than one segment beyond the open one (RFC 8216bis 6.2.5.2: 400)."""
        return msn > self.next_msn + 1

    async def wait(self, msn: int, part: int | None, timeout: float) -> bool:
        """Until `satisfied(msn, part)` or `timeout`; True when satisfied."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.satisfied(msn, part):
            left = deadline - loop.time()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):  # no task per waiter, unlike wait_for
                    await self._changed.wait()
        return True

    def waiting(self, msn: int, part: int | None, timeout: float, render: Render) -> LiveWait:
        """A blocking reload for (`msn`, `part`) that `render` answers once satisfied."""
        return LiveWait(self, msn, part, timeout, render)

    # -- rendering ------------------------------------------------------------------------

    def render_bytes(
        self,
        prefix: str = "",
        *,
        low_latency: bool = True,
        reports: list[RenditionReport] | None = None,
    ) -> bytes:
        """The playlist text (`render_live`) as bytes, made once per change: the same body
        for every viewer. URIs get `prefix` (where the playlist is served from)."""
        return render_live_bytes(self, prefix, low_latency=low_latency, reports=reports)


def live_changes() -> int:
    """A number that moves whenever any live playlist changes (the serving path's reuse)."""
    return LivePlaylist.changes
