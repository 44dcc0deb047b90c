"""State models shared by the roles (SQLModel tables and their public shapes)."""

from __future__ import annotations

__all__ = [
    "RENDITION_PATTERN",
    "SLUG_PATTERN",
    "SLUG_RE",
    "Endpoint",
    "EndpointCreate",
    "EndpointPublic",
    "EndpointSlug",
    "EndpointType",
    "EndpointWithKey",
    "EndpointsPublic",
    "Generation",
    "GenerationPublic",
    "GenerationState",
    "MediaSession",
    "Rendition",
    "RenditionSpec",
    "SessionMode",
    "SessionState",
    "utcnow",
]

import enum
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, field_validator
from pydantic import Field as PField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

# the one place the two names of the URL space are written (CONTRACTS.md: vocabulary)
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62})$"
SLUG_RE = re.compile(SLUG_PATTERN)
RENDITION_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
EndpointSlug = Annotated[str, Path(pattern=SLUG_PATTERN, description="the endpoint's slug")]
"""An endpoint slug in a route path: anything else is a 422 JSON answer before a handler runs."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class RenditionSpec(BaseModel):
    """One rung of a rendition ladder; height None means the source passed through."""

    name: str = PField(pattern=RENDITION_PATTERN)
    height: int | None = PField(default=None, ge=64, le=4320)
    video_bitrate_kbps: int | None = PField(default=None, ge=64, le=100_000)
    audio_bitrate_kbps: int = PField(default=128, ge=16, le=512)


MAX_DVR_SECONDS = 7 * 86400


class EndpointType(enum.StrEnum):
    """Where an endpoint's media comes from: published to an origin, or mirrored by an edge."""

    origin = "origin"
    edge = "edge"


class EndpointBase(SQLModel):
    slug: str = Field(index=True, unique=True, max_length=63)
    type: EndpointType = EndpointType.origin
    title: str = Field(default="", max_length=200)
    source_url: str | None = Field(default=None, max_length=2000)
    auto_start: bool = True
    offline_slate: bool = False
    # DVR window in seconds (0 = off; None = the node's SENDER_HLS_DVR_SECONDS)
    dvr_window_seconds: int | None = Field(default=None, ge=0, le=MAX_DVR_SECONDS)
    record: bool = False  # keep every segment of every generation (retention, disk budget)


class Endpoint(EndpointBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str | None = Field(default=None, index=True, max_length=64)
    key_blocked: bool = False
    renditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    # SRT's AES key is derived from the passphrase itself, so it is kept as given
    passphrase: str | None = Field(default=None, max_length=79)
    created_at: datetime = Field(default_factory=utcnow)


class EndpointCreate(EndpointBase):
    slug: str = Field(max_length=63, schema_extra={"pattern": SLUG_PATTERN})
    renditions: list[RenditionSpec] = Field(default_factory=list, max_length=6)
    # SRT's 10-79 characters; none that would break the `srt://...&passphrase=` URL
    passphrase: str | None = Field(
        default=None, min_length=10, max_length=79, schema_extra={"pattern": r"^[^\s&#?%]+$"}
    )

    @field_validator("slug")
    @classmethod
    def _valid_slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError(
                "slug: lowercase letters, digits and '-', starting with a letter or digit"
            )
        return value

    @field_validator("renditions")
    @classmethod
    def _unique_names(cls, value: list[RenditionSpec]) -> list[RenditionSpec]:
        names = [r.name for r in value]
        if len(set(names)) != len(names):
            raise ValueError("rendition names must be unique")
        return value


class EndpointUpdate(SQLModel):
    """Fields an operator may change on a live endpoint (absent fields stay)."""

    title: str | None = Field(default=None, max_length=200)
    auto_start: bool | None = None
    offline_slate: bool | None = None
    dvr_window_seconds: int | None = Field(default=None, ge=0, le=MAX_DVR_SECONDS)
    record: bool | None = None


class EndpointPublic(EndpointBase):
    id: int
    renditions: list[RenditionSpec]
    key_blocked: bool
    created_at: datetime
    encrypted: bool = False
    srt_url: str | None = None


class EndpointWithKey(EndpointPublic):
    """Returned once, at creation or rotation: the only time the key is shown."""

    stream_key: str
    publish_url: str


class EndpointsPublic(SQLModel):
    data: list[EndpointPublic]
    count: int


class GenerationState(enum.StrEnum):
    """A generation is live while its publish (or reconnect grace) lasts, then ended."""

    live = "live"
    ended = "ended"


class Generation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("endpoint_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="endpoint.id", index=True)
    number: int
    state: GenerationState = GenerationState.live
    delivery: str = "passthrough"
    started_at: datetime = Field(default_factory=utcnow)
    stopped_at: datetime | None = None
    spool_removed: bool = False


class GenerationPublic(SQLModel):
    number: int
    state: GenerationState
    delivery: str
    started_at: datetime
    stopped_at: datetime | None
    renditions: list[str]


class Rendition(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    generation_id: int = Field(foreign_key="generation.id", index=True)
    name: str
    height: int | None = None
    bandwidth: int | None = None


class SessionMode(enum.StrEnum):
    """Which worker a media session row is for: an origin's publish or an edge's mirror."""

    origin = "origin"
    hls_edge = "hls_edge"


class SessionState(enum.StrEnum):
    """A media session as an operator sees it."""

    idle = "idle"
    waiting_source = "waiting_source"
    live = "live"
    stale = "stale"
    error = "error"
    stopped = "stopped"


class MediaSession(SQLModel, table=True):
    """The worker for an endpoint on a node; its start options survive a restart."""

    __table_args__ = (UniqueConstraint("endpoint_slug", "mode"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_slug: str = Field(index=True, max_length=63)
    mode: SessionMode
    desired: bool = True
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
