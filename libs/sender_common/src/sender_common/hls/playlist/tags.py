"""Media playlist tag lines (RFC 8216bis), written the same way by every playlist Sender makes."""

from __future__ import annotations

__all__ = ["format_pdt", "number", "part_line", "report_line", "segment_head"]

import math
from datetime import UTC, datetime


def format_pdt(epoch: float) -> str:
    """RFC 3339 with milliseconds, as EXT-X-PROGRAM-DATE-TIME wants (RFC 8216 4.3.2.6)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def number(value: float) -> str:
    """A decimal attribute value to the millisecond, without trailing zeros."""
    return f"{math.floor(value * 1000 + 0.5) / 1000:g}"


def part_line(prefix: str, uri: str, duration: float, independent: bool) -> str:
    ind = ",INDEPENDENT=YES" if independent else ""
    return f'#EXT-X-PART:DURATION={duration:.5f},URI="{prefix}{uri}"{ind}'


def report_line(uri: str, last_msn: int, last_part: int | None) -> str:
    attrs = f'URI="{uri}",LAST-MSN={last_msn}'
    if last_part is not None:
        attrs += f",LAST-PART={last_part}"
    return f"#EXT-X-RENDITION-REPORT:{attrs}"


def segment_head(
    out: list[str],
    prefix: str,
    map_uri: str | None,
    current: str | None,
    discontinuity: bool,
    pdt: float | None,
) -> str | None:
    """The lines before a segment's parts: discontinuity, a changed EXT-X-MAP, its date.
    Returns the map in force after it."""
    if discontinuity:
        out.append("#EXT-X-DISCONTINUITY")
    if map_uri is not None and map_uri != current:
        out.append(f'#EXT-X-MAP:URI="{prefix}{map_uri}"')
    if pdt is not None:
        out.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(pdt)}")
    return map_uri if map_uri is not None else current
