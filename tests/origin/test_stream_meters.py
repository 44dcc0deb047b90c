"""The in-memory event ring and the ingest bitrate meter, with injected clocks."""

from __future__ import annotations

import pytest

from sender_origin.streams import events as events_mod
from sender_origin.streams.bitrate import BitrateMeter
from sender_origin.streams.events import EventKind, StreamEvents


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_ring_is_bounded_newest_first_and_per_endpoint() -> None:
    clock = Clock(1_700_000_000.0)
    ring = StreamEvents(per_endpoint=3, clock=clock)
    for generation in range(1, 6):
        clock.t += 1
        ring.record("a", EventKind.publish_accepted, generation=generation)
    ring.record("b", EventKind.publish_refused, detail="blocked")
    recent = ring.recent("a")
    assert [e.generation for e in recent] == [5, 4, 3]
    assert recent[0].at.timestamp() == clock.t
    assert ring.recent("a", limit=1)[0].generation == 5
    assert [(e.kind, e.detail) for e in ring.recent("b")] == [("publish_refused", "blocked")]
    ring.forget("a")
    assert ring.recent("a") == []
    assert ring.recent("never") == []


def test_ring_forgets_the_oldest_endpoint_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_mod, "MAX_ENDPOINTS", 2)
    ring = StreamEvents()
    for slug in ("a", "b", "c"):
        ring.record(slug, EventKind.started)
    assert ring.recent("a") == []
    assert len(ring.recent("c")) == 1


def test_bitrate_over_full_seconds_only() -> None:
    clock = Clock(100.5)
    meter = BitrateMeter(window=2, clock=clock)
    meter.add(10_000)  # the partial first second is never counted
    assert meter.kbps() is None
    clock.t = 101.2
    meter.add(25_000)
    assert meter.kbps() is None  # second 101 is not over yet
    clock.t = 102.0
    assert meter.kbps() == 200.0  # 25,000 bytes in second 101
    meter.add(50_000)
    clock.t = 103.9
    assert meter.kbps() == 300.0  # (25,000 + 50,000) bytes over seconds 101-102
    clock.t = 110.0
    assert meter.kbps() == 0.0  # the publisher went quiet
