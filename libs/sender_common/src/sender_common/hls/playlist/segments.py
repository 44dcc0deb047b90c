"""What a media playlist lists (RFC 8216bis 4.4.4): segments, their parts (4.4.4.9), and
reports of other renditions (4.4.5.4); the same values for a parsed and a served playlist."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LiveSegment", "Part", "RenditionReport"]


@dataclass(slots=True)
class Part:
    uri: str
    duration: float
    independent: bool


@dataclass(slots=True)
class LiveSegment:
    msn: int
    uri: str
    duration: float
    map_uri: str | None = None
    discontinuity: bool = False
    pdt: float | None = None
    parts: list[Part] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RenditionReport:
    uri: str
    last_msn: int
    last_part: int | None
