"""The public shapes of edge sessions: start options and status."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from sender_common.models import RENDITION_PATTERN, SLUG_PATTERN, SessionMode, SessionState
from sender_edge.settings import check_upstream_url


class SessionOptions(BaseModel):
    """What a mirror session needs to run; persisted as the MediaSession's `options`."""

    upstream_url: str
    verify_tls: bool = True
    renditions: list[str] | None = None
    follow_generations: bool = True

    @field_validator("upstream_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_upstream_url(value)


class EdgeSessionCreate(BaseModel):
    endpoint: str = Field(pattern=SLUG_PATTERN, max_length=63)
    upstream_url: str | None = Field(default=None, max_length=2000)
    verify_tls: bool = True
    renditions: list[str] | None = Field(default=None, max_length=16)
    follow_generations: bool = True

    @field_validator("upstream_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_upstream_url(value)

    @field_validator("renditions")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        import re

        if value is None:
            return None
        for name in value:
            if not re.match(RENDITION_PATTERN, name):
                raise ValueError(f"bad rendition name {name!r}")
        return sorted(set(value))


class EdgeSessionStatus(BaseModel):
    endpoint: str
    mode: SessionMode = SessionMode.hls_edge
    state: SessionState
    desired: bool
    upstream_url: str
    verify_tls: bool
    follow_generations: bool
    renditions: list[str]
    generation: int | None
    live_url: str
    last_error: str | None
    media_sequence: int | None
    segments_mirrored: int
    bytes_mirrored: int
    last_fetch_at: datetime | None
    lag_seconds: float | None


class EdgeSessionsPublic(BaseModel):
    data: list[EdgeSessionStatus]
    count: int
