"""The serving path's timers: one per kind, not one per request or connection."""

from __future__ import annotations

__all__ = ["Deadlines", "IdleSweep", "SweptConnection", "deadlines", "idle_sweep"]

import asyncio
import weakref
from collections import deque
from typing import Protocol

from sender_common.hls.serve.cycle import HlsCycle


class SweptConnection(Protocol):
    """A connection the idle sweep checks (`protocol.HlsHttpProtocol`)."""

    @property
    def transport(self) -> asyncio.BaseTransport: ...

    def idle_check(self, now: float) -> None: ...


class Deadlines:
    """Timeouts of waiting requests without a timer each: one deque per timeout length
    (so each is in deadline order) and one timer for the nearest expiry."""

    TICK = 0.1

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queues: dict[float, deque[tuple[float, HlsCycle]]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, timeout: float, cycle: HlsCycle) -> None:
        queue = self._queues.get(timeout)
        if queue is None:
            queue = self._queues[timeout] = deque()
        queue.append((self.loop.time() + timeout, cycle))
        if self._timer is None:
            self._timer = self.loop.call_later(self.TICK, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = self.loop.time()
        for queue in list(self._queues.values()):  # answering may start new waits
            while queue and (queue[0][0] <= now or queue[0][1].response_complete):
                _, cycle = queue.popleft()
                if not cycle.response_complete and not cycle.disconnected:
                    cycle.proto.finish_wait(cycle)
        if any(self._queues.values()):
            self._timer = self.loop.call_later(self.TICK, self._expire)


class IdleSweep:
    """Every connection's idle and request-head deadlines, checked once a second by one
    timer (no timer per request)."""

    TICK = 1.0

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.connections: weakref.WeakSet[SweptConnection] = weakref.WeakSet()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, proto: SweptConnection) -> None:
        self.connections.add(proto)
        if self._timer is None:
            self._timer = self.loop.call_later(self.TICK, self._check)

    def _check(self) -> None:
        self._timer = None
        now = self.loop.time()
        for proto in list(self.connections):
            if proto.transport.is_closing():
                self.connections.discard(proto)
            else:
                proto.idle_check(now)
        if self.connections:
            self._timer = self.loop.call_later(self.TICK, self._check)


_sweeps: dict[asyncio.AbstractEventLoop, IdleSweep] = {}


def idle_sweep(loop: asyncio.AbstractEventLoop) -> IdleSweep:
    found = _sweeps.get(loop)
    if found is None:
        _sweeps.clear()
        found = _sweeps[loop] = IdleSweep(loop)
    return found


_deadlines: dict[asyncio.AbstractEventLoop, Deadlines] = {}


def deadlines(loop: asyncio.AbstractEventLoop) -> Deadlines:
    found = _deadlines.get(loop)
    if found is None:
        _deadlines.clear()  # one serving loop per process; a new one (tests) replaces it
        found = _deadlines[loop] = Deadlines(loop)
    return found
