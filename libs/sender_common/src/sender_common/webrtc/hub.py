"""Fan-out of each endpoint's encoded frames to its subscribers (WHEP tracks, feeds).

One `MediaHub` per node. A source (the origin's ingest tap, an edge's upstream feed) calls
`publish`; every subscriber has its own bounded queue. A subscriber that falls behind loses
its queue and waits for the next keyframe, so one slow viewer never holds up the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sender_common.webrtc.frames import MediaFrame

__all__ = ["MediaHub", "Subscription"]

QUEUE_FRAMES = 300  # about 4 s of 30 fps video with its audio


class Subscription:
    """One subscriber's frames of one endpoint; `kinds` filters video/audio."""

    def __init__(self, endpoint: str, kinds: frozenset[str]) -> None:
        self.endpoint = endpoint
        self.kinds = kinds
        self.queue: asyncio.Queue[MediaFrame] = asyncio.Queue(QUEUE_FRAMES)
        self.need_key = "video" in kinds
        self.dropped = 0

    def offer(self, frame: MediaFrame) -> None:
        if frame.kind not in self.kinds:
            return
        if frame.kind == "video" and self.need_key:
            if not frame.keyframe:
                return
            self.need_key = False
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.dropped += self.queue.qsize()
            while not self.queue.empty():
                self.queue.get_nowait()
            self.need_key = "video" in self.kinds
            if frame.kind != "video":
                self.queue.put_nowait(frame)

    async def get(self) -> MediaFrame:
        return await self.queue.get()


class MediaHub:
    """Every endpoint's subscribers on this node."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._last_frame: dict[str, float] = {}
        self._idle_since: dict[str, float] = {}

    def publish(self, endpoint: str, frame: MediaFrame) -> None:
        self._last_frame[endpoint] = time.monotonic()
        for sub in self._subs.get(endpoint, ()):
            sub.offer(frame)

    def wanted(self, endpoint: str) -> bool:
        """Whether anyone subscribes to `endpoint` (sources skip work nobody receives)."""
        return bool(self._subs.get(endpoint))

    def subscribers(self, endpoint: str) -> int:
        return len(self._subs.get(endpoint, ()))

    def endpoints(self) -> list[str]:
        return [e for e, subs in self._subs.items() if subs]

    def idle_for(self, endpoint: str) -> float:
        """Seconds `endpoint` has had no subscriber (0 while it has some)."""
        if self._subs.get(endpoint):
            return 0.0
        since = self._idle_since.get(endpoint)
        return float("inf") if since is None else time.monotonic() - since

    def expect(self, endpoint: str) -> None:
        """A subscriber is on its way (a session connecting): idle from now, not forever."""
        if not self._subs.get(endpoint):
            self._idle_since[endpoint] = time.monotonic()

    def last_frame_age(self, endpoint: str) -> float:
        at = self._last_frame.get(endpoint)
        return float("inf") if at is None else time.monotonic() - at

    def open(self, endpoint: str, kinds: frozenset[str]) -> Subscription:
        """A new subscriber; `close` it when done."""
        sub = Subscription(endpoint, kinds)
        self._subs.setdefault(endpoint, set()).add(sub)
        self._idle_since.pop(endpoint, None)
        return sub

    def close(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.endpoint, set())
        if sub in subs:
            subs.discard(sub)
            if not subs:
                self._subs.pop(sub.endpoint, None)
                self._idle_since[sub.endpoint] = time.monotonic()

    @contextmanager
    def subscribe(self, endpoint: str, kinds: frozenset[str]) -> Iterator[Subscription]:
        sub = self.open(endpoint, kinds)
        try:
            yield sub
        finally:
            self.close(sub)
