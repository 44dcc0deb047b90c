"""The metrics role's tables and public shapes."""

from __future__ import annotations

__all__ = [
    "ControlAccepted",
    "EndpointHistory",
    "EndpointSnapshot",
    "IngestAccepted",
    "NodeKey",
    "NodeSequence",
    "SeriesPoint",
    "ViewerSeriesPublic",
]

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from sender_common.models import utcnow
from sender_common.viewers.series import SeriesPoint, ViewerSeriesPublic


class NodeKey(SQLModel, table=True):
    """A node whose public key is pinned: later batches must be signed by that key."""

    __tablename__ = "metrics_node_key"

    node_id: str = Field(primary_key=True, max_length=64)
    public_key: str = Field(max_length=128)
    role: str = Field(max_length=32)
    pinned_at: datetime = Field(default_factory=utcnow)


class NodeSequence(SQLModel, table=True):
    """The last message accepted from a node's boot, per sequence space (`batches` or
    `control`), so a replay is refused after a restart of the metrics role too."""

    __tablename__ = "metrics_node_sequence"

    node_id: str = Field(primary_key=True, max_length=64)
    channel: str = Field(primary_key=True, max_length=16)
    boot_id: str = Field(max_length=64)
    boot_at: float
    seq: int
    updated_at: datetime = Field(default_factory=utcnow)


class EndpointSnapshot(SQLModel, table=True):
    """Viewers and traffic of one endpoint over one snapshot interval."""

    __tablename__ = "metrics_endpoint_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    endpoint: str = Field(index=True, max_length=64)
    interval_start: float = Field(index=True)  # unix seconds
    interval_seconds: float
    viewers_peak: int = 0
    viewers_avg: float = 0.0
    requests: int = 0
    bytes: int = 0


class EndpointHistory(SQLModel, table=True):
    """One endpoint's day, compacted from its snapshots (kept much longer)."""

    __tablename__ = "metrics_endpoint_history"
    __table_args__ = (UniqueConstraint("endpoint", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint: str = Field(index=True, max_length=64)
    day: str = Field(max_length=10)  # YYYY-MM-DD, UTC
    viewers_peak: int = 0
    viewer_seconds: float = 0.0
    requests: int = 0
    bytes: int = 0


class IngestAccepted(BaseModel):
    accepted: bool = True
    viewers: int


class ControlAccepted(BaseModel):
    accepted: bool = True
    resource: str
