"""Snapshot rows every `snapshot_seconds`, compacted daily history, retention, and reads."""

from __future__ import annotations

__all__ = ["SnapshotWorker", "read_series", "viewer_series", "write_intervals"]

import asyncio
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from sender_metrics.models import EndpointHistory, EndpointSnapshot, SeriesPoint
from sender_metrics.service_metrics import ServiceMetrics
from sender_metrics.viewers import EndpointInterval, ViewerState

MAX_POINTS = 2000


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


def write_intervals(
    session: Session, *, intervals: dict[str, EndpointInterval], start: float, seconds: float
) -> int:
    """Insert one snapshot per endpoint and fold it into that endpoint's day."""
    day = _day(start)
    for endpoint, iv in intervals.items():
        session.add(
            EndpointSnapshot(
                endpoint=endpoint,
                interval_start=start,
                interval_seconds=seconds,
                viewers_peak=iv.peak,
                viewers_avg=round(iv.avg, 3),
                requests=iv.requests,
                bytes=iv.bytes,
            )
        )
        history = session.exec(
            select(EndpointHistory).where(
                EndpointHistory.endpoint == endpoint, EndpointHistory.day == day
            )
        ).first() or EndpointHistory(endpoint=endpoint, day=day)
        history.viewers_peak = max(history.viewers_peak, iv.peak)
        history.viewer_seconds += iv.avg * seconds
        history.requests += iv.requests
        history.bytes += iv.bytes
        session.add(history)
    session.commit()
    return len(intervals)


def apply_retention(session: Session, *, snapshots_before: float, history_before: str) -> None:
    session.exec(
        delete(EndpointSnapshot).where(col(EndpointSnapshot.interval_start) < snapshots_before)
    )
    session.exec(delete(EndpointHistory).where(col(EndpointHistory.day) < history_before))
    session.commit()


def viewer_series(session: Session, *, endpoint: str, since: float) -> list[SeriesPoint]:
    """The endpoint's snapshots since `since`, oldest first (at most MAX_POINTS, newest kept)."""
    rows = session.exec(
        select(EndpointSnapshot)
        .where(EndpointSnapshot.endpoint == endpoint, EndpointSnapshot.interval_start >= since)
        .order_by(col(EndpointSnapshot.interval_start).desc())
        .limit(MAX_POINTS)
    ).all()
    return [
        SeriesPoint(t=r.interval_start, peak=r.viewers_peak, avg=r.viewers_avg)
        for r in reversed(rows)
    ]


def read_series(engine: Engine, *, endpoint: str, since: float) -> list[SeriesPoint]:
    """`viewer_series` in a session of its own (for a thread)."""
    with Session(engine) as session:
        return viewer_series(session, endpoint=endpoint, since=since)


def _always() -> bool:
    return True


@dataclass(eq=False)
class SnapshotWorker:
    """Called every `snapshot_seconds`: closes the interval and writes it out."""

    engine: Engine
    book: ViewerState
    metrics: ServiceMetrics
    _: KW_ONLY
    retention_seconds: float
    history_days: int
    ready: Callable[[], bool] = _always
    leading: Callable[[], bool] = _always
    clock: Callable[[], float] = time.time
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    async def tick(self) -> None:
        if not self.leading():  # the lease holder writes the shared intervals
            self.started = self.clock()
            return
        if not self.ready():  # keep accumulating until the database is there
            return
        now = self.clock()
        start, self.started = self.started, now
        intervals = await self.book.take_intervals()
        written = await asyncio.to_thread(self._write, intervals, start, now - start)
        self.metrics.snapshots.inc(written)

    def _write(self, intervals: dict[str, EndpointInterval], start: float, seconds: float) -> int:
        cutoff_day = datetime.fromtimestamp(start, UTC) - timedelta(days=self.history_days)
        with Session(self.engine) as session:
            written = write_intervals(session, intervals=intervals, start=start, seconds=seconds)
            apply_retention(
                session,
                snapshots_before=start - self.retention_seconds,
                history_before=cutoff_day.strftime("%Y-%m-%d"),
            )
        return written
