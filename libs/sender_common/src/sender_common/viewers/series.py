"""The viewer history one endpoint has at the metrics role: what its API answers and what a
node reading it expects (one definition for both sides)."""

from __future__ import annotations

__all__ = ["SeriesPoint", "ViewerSeriesPublic"]

from pydantic import BaseModel


class SeriesPoint(BaseModel):
    """One snapshot interval: its start (unix seconds), peak and average viewers."""

    t: float
    peak: int
    avg: float


class ViewerSeriesPublic(BaseModel):
    endpoint: str
    now: int
    series: list[SeriesPoint]
