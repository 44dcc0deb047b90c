"""Player events: `POST /sender/api/v1/events`, validated and rate-limited per vsid."""

from __future__ import annotations

__all__ = ["EventAccepted", "EventHandler", "PlayerEvent", "RateLimiter", "events_router"]

import time
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from sender_common.errors import TooManyRequestsError
from sender_common.models import SLUG_PATTERN
from sender_common.viewers.attribution import Attributor, RequestInfo

VSID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"

EventType = Literal["heartbeat", "play", "pause", "ended", "error"]


class PlayerEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: EventType
    vsid: str = Field(pattern=VSID_PATTERN)
    endpoint: str = Field(pattern=SLUG_PATTERN)
    generation: int | None = Field(default=None, ge=0)
    position: float | None = Field(default=None, allow_inf_nan=False)
    detail: str | None = Field(default=None, max_length=500)


class EventAccepted(BaseModel):
    accepted: bool = True


EventHandler = Callable[[PlayerEvent, RequestInfo], None]


class RateLimiter:
    """A token bucket per key: `rate` tokens a second, at most `burst` saved up."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True

    def prune(self) -> None:
        """Forget buckets that have refilled completely (they behave like new ones)."""
        now = self.clock()
        full = self.burst / self.rate if self.rate > 0 else float("inf")
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}

    def __len__(self) -> int:
        return len(self._buckets)


def events_router(
    attributor: Attributor,
    limiter: RateLimiter,
    handle: EventHandler,
    on_limited: Callable[[], None] = lambda: None,
) -> APIRouter:
    """The player-event route, served on the same host as the player."""
    router = APIRouter(prefix="/sender/api/v1", tags=["viewers"])

    @router.post(
        "/events",
        status_code=status.HTTP_202_ACCEPTED,
        responses={
            404: {"description": "no such stream on this node"},
            429: {"description": "too many events for this vsid"},
        },
    )
    async def post_event(event: PlayerEvent, request: Request) -> EventAccepted:
        if not limiter.allow(event.vsid):
            on_limited()
            raise TooManyRequestsError("too many events for this vsid", retry_after=1)
        handle(event, attributor.from_scope(request.scope, event.vsid))
        return EventAccepted()

    return router
