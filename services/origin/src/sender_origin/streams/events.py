"""Recent events of each endpoint's media session, kept in memory for the operator.

A small ring per endpoint (publish accepted or refused, reconnects, ffmpeg restarts, the
publisher leaving, a generation ending); lost on restart by design: the logs and the
Prometheus counters are the durable record.
"""

from __future__ import annotations

__all__ = ["EVENTS_PER_ENDPOINT", "EventKind", "StreamEvent", "StreamEvents"]

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel

EVENTS_PER_ENDPOINT = 50
MAX_ENDPOINTS = 10_000  # a bound on memory however many endpoints come and go


class EventKind(StrEnum):
    publish_accepted = "publish_accepted"
    publish_refused = "publish_refused"
    reconnect = "reconnect"
    publisher_left = "publisher_left"
    ffmpeg_restart = "ffmpeg_restart"
    generation_ended = "generation_ended"
    kicked = "kicked"
    started = "started"
    stopped = "stopped"


class StreamEvent(BaseModel):
    at: datetime
    kind: EventKind
    generation: int | None = None
    detail: str = ""


class StreamEvents:
    """Bounded rings of `StreamEvent`, newest last, one per endpoint slug."""

    def __init__(
        self, per_endpoint: int = EVENTS_PER_ENDPOINT, clock: Callable[[], float] = time.time
    ) -> None:
        self.per_endpoint = per_endpoint
        self.clock = clock
        self._rings: dict[str, deque[StreamEvent]] = {}

    def record(
        self, slug: str, kind: EventKind, *, generation: int | None = None, detail: str = ""
    ) -> None:
        ring = self._rings.get(slug)
        if ring is None:
            if len(self._rings) >= MAX_ENDPOINTS:
                self._rings.pop(next(iter(self._rings)))
            ring = self._rings[slug] = deque(maxlen=self.per_endpoint)
        at = datetime.fromtimestamp(self.clock(), UTC)
        ring.append(StreamEvent(at=at, kind=kind, generation=generation, detail=detail))

    def recent(self, slug: str, limit: int | None = None) -> list[StreamEvent]:
        """Newest first."""
        events = list(reversed(self._rings.get(slug, ())))
        return events if limit is None else events[:limit]

    def forget(self, slug: str) -> None:
        self._rings.pop(slug, None)
