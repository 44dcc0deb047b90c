"""Lanes for everything that crosses between roles: `control` and `bulk`.

Every synced resource declares its lane in `RESOURCE_LANES`; anything not listed is bulk.
Each lane has its own bounded queue and its own sender task, so a bulk backlog (metrics down,
a slow receiver) never delays control delivery. A full queue drops its oldest message. On
stop, a lane may first drain for a bounded time (`drain`; the control lane by default), and
`Lanes.flush` waits, bounded, for chosen lanes to empty (a node's final batch).

Delivery errors::

    DeliveryError
    ├── RetryableDelivery   transport error or 5xx: retried with backoff, message kept
    └── RejectedDelivery    4xx: the receiver will never take it, message dropped
"""

from __future__ import annotations

from sender_common.errors import SenderError

__all__ = [
    "RESOURCE_LANES",
    "Deliver",
    "DeliveryError",
    "Envelope",
    "Lane",
    "LaneLimits",
    "LaneQueue",
    "Lanes",
    "RejectedDelivery",
    "RetryableDelivery",
    "http_deliver",
    "lane_for",
]

import asyncio
import contextlib
import enum
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from sender_common.children import Child

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)


class Lane(enum.StrEnum):
    control = "control"
    bulk = "bulk"


RESOURCE_LANES: Mapping[str, Lane] = MappingProxyType(
    {
        "endpoints": Lane.control,
        "generations": Lane.control,
        "media_sessions": Lane.control,
        "stream_state": Lane.control,
        "viewer_batches": Lane.bulk,
        "snapshots": Lane.bulk,
        "history": Lane.bulk,
    }
)


def lane_for(resource: str, lanes: Mapping[str, Lane] = RESOURCE_LANES) -> Lane:
    """The declared lane of `resource`; undeclared resources go bulk."""
    return lanes.get(resource, Lane.bulk)


@dataclass(frozen=True, slots=True, eq=False)
class Envelope:
    resource: str
    path: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class LaneLimits:
    max_items: int = 1000
    max_bytes: int = 16 * 1024 * 1024


class DeliveryError(SenderError):
    """A message could not be delivered."""


class RetryableDelivery(DeliveryError):
    pass


class RejectedDelivery(DeliveryError):
    pass


Deliver = Callable[[Envelope], Awaitable[None]]


class LaneQueue:
    """FIFO bounded in items and bytes; overflow drops the oldest and reports it."""

    def __init__(self, limits: LaneLimits, on_drop: Callable[[int], None]) -> None:
        self.limits = limits
        self._on_drop = on_drop
        self._items: deque[Envelope] = deque()
        self.nbytes = 0
        self._ready = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, env: Envelope) -> None:
        self._items.append(env)
        self._empty.clear()
        self.nbytes += len(env.body)
        dropped = 0
        while len(self._items) > 1 and (
            len(self._items) > self.limits.max_items or self.nbytes > self.limits.max_bytes
        ):
            self.nbytes -= len(self._items.popleft().body)
            dropped += 1
        if dropped:
            self._on_drop(dropped)
        self._ready.set()

    async def head(self) -> Envelope:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items[0]

    def holds(self, env: Envelope) -> bool:
        return bool(self._items) and self._items[0] is env

    def done(self, env: Envelope) -> None:
        """Remove `env` if it is still the head (it may have been dropped meanwhile)."""
        if self.holds(env):
            self._items.popleft()
            self.nbytes -= len(env.body)
        if not self._items:
            self._empty.set()

    async def drained(self) -> None:
        """Return once the queue is empty."""
        await self._empty.wait()


@dataclass(eq=False)
class _Sender:
    """The one task delivering a lane's queue in order."""

    lane: Lane
    queue: LaneQueue
    deliver: Deliver
    owner: Lanes
    drain: float
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"lane-{self.lane}")

    async def stop(self) -> None:
        if self._task is not None:
            if self.drain > 0 and len(self.queue) and not self._task.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.queue.drained(), self.drain)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _attempt(self, env: Envelope) -> None:
        if self.queue.holds(env):  # not dropped while we were backing off
            await self.deliver(env)

    async def _loop(self) -> None:
        while True:
            env = await self.queue.head()
            try:
                async for attempt in AsyncRetrying(
                    retry=retry_if_exception_type(RetryableDelivery),
                    wait=wait_exponential(multiplier=0.05, max=self.owner.max_backoff),
                    reraise=True,
                ):
                    with attempt:
                        await self._attempt(env)
                self.owner.sent[self.lane] += 1
            except RejectedDelivery as exc:
                log.warning("%s lane: %s refused: %s", self.lane, env.resource, exc)
                self.owner.on_drop(self.lane, 1)
            self.queue.done(env)


class Lanes:
    """A queue and a sender task per lane, sharing one `deliver`.

    `drain` is how long each lane's stop waits for its queue to empty before giving up on
    it; by default only control, whose last messages (a stream ending) matter most.
    """

    def __init__(
        self,
        deliver: Deliver,
        *,
        limits: Mapping[Lane, LaneLimits] | None = None,
        resource_lanes: Mapping[str, Lane] = RESOURCE_LANES,
        max_backoff: float = 5.0,
        on_drop: Callable[[Lane, int], None] = lambda _lane, _n: None,
        drain: Mapping[Lane, float] | None = None,
    ) -> None:
        limits = limits or {}
        drain = {Lane.control: 1.0} if drain is None else drain
        self.resource_lanes = resource_lanes
        self.max_backoff = max_backoff
        self.on_drop = on_drop
        self.sent: dict[Lane, int] = dict.fromkeys(Lane, 0)
        self.queues = {
            lane: LaneQueue(limits.get(lane, LaneLimits()), self._dropper(lane)) for lane in Lane
        }
        self._senders = [
            _Sender(lane, self.queues[lane], deliver, self, drain.get(lane, 0.0)) for lane in Lane
        ]

    def _dropper(self, lane: Lane) -> Callable[[int], None]:
        return lambda n: self.on_drop(lane, n)

    def submit(self, env: Envelope) -> Lane:
        """Queue `env` on its resource's lane."""
        lane = lane_for(env.resource, self.resource_lanes)
        self.queues[lane].put(env)
        return lane

    def pending(self, lane: Lane) -> int:
        return len(self.queues[lane])

    async def flush(self, timeout: float, lanes: tuple[Lane, ...] = tuple(Lane)) -> bool:
        """Wait up to `timeout` seconds for `lanes` to empty (their senders must be running);
        True when they did."""
        try:
            async with asyncio.timeout(timeout):
                for lane in lanes:
                    await self.queues[lane].drained()
        except TimeoutError:
            return False
        return True

    def children(self) -> list[Child]:
        return [Child(f"lane-{s.lane}", s.start, s.stop) for s in self._senders]


def http_deliver(client: httpx.AsyncClient) -> Deliver:
    """POST each envelope to `client.base_url + path`; classify failures for the lane."""
    import httpx  # loaded with the client: a node without a metrics URL runs without httpx

    async def _deliver(env: Envelope) -> None:
        try:
            response = await client.post(env.path, content=env.body, headers=dict(env.headers))
        except httpx.TransportError as exc:
            raise RetryableDelivery(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableDelivery(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise RejectedDelivery(f"HTTP {response.status_code}: {response.text[:200]}")

    return _deliver
