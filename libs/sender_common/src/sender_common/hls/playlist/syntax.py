"""The lexical layer every playlist parser shares (RFC 8216bis 4.1, 4.2): bounded lines,
attribute lists, and the checked values in them. The text is untrusted: sizes, numbers,
durations and URIs are bounded, and any violation raises `PlaylistError`."""

from __future__ import annotations

import math
import re
from datetime import datetime

from sender_common.errors import FormatError

__all__ = [
    "MAX_PLAYLIST_BYTES",
    "MAX_SEGMENTS",
    "PlaylistError",
    "attributes",
    "duration",
    "pdt",
    "playlist_lines",
    "uint",
    "uri",
]
MAX_PLAYLIST_BYTES = 1_000_000
MAX_SEGMENTS = 5_000
MAX_URI = 2048
MAX_DURATION = 3600.0
MAX_NUMBER = 10**15
_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


class PlaylistError(FormatError, ValueError):
    """The text is not a playlist Sender can use."""


def playlist_lines(text: str, limit: int = MAX_PLAYLIST_BYTES) -> list[str]:
    """The non-empty, stripped lines of a bounded playlist that starts with #EXTM3U."""
    if len(text) > limit:
        raise PlaylistError("playlist too large")
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("missing #EXTM3U header (RFC 8216 4.3.1.1)")
    return lines


def attributes(text: str) -> dict[str, str]:
    """An attribute list (4.2): names to values, quoted strings unquoted."""
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def uint(value: str, name: str) -> int:
    """A decimal-integer (4.2), bounded."""
    if not value.isdigit() or len(value) > 16:
        raise PlaylistError(f"bad {name}")
    number = int(value)
    if number > MAX_NUMBER:
        raise PlaylistError(f"{name} out of range")
    return number


def duration(value: str, name: str) -> float:
    """Seconds as a decimal-floating-point (4.2): finite, not negative, at most an hour."""
    try:
        seconds = float(value)
    except ValueError as exc:
        raise PlaylistError(f"bad {name}") from exc
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_DURATION:
        raise PlaylistError(f"{name} out of range")
    return seconds


def uri(value: str | None, name: str) -> str:
    """A URI as written: present, bounded, no white space, controls or quotes."""
    if not value or len(value) > MAX_URI or any(ord(c) < 33 or c == '"' for c in value):
        raise PlaylistError(f"bad URI in {name}")
    return value


def pdt(value: str) -> float:
    """EXT-X-PROGRAM-DATE-TIME (4.4.4.6) as epoch seconds; the time zone is required."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise PlaylistError("bad EXT-X-PROGRAM-DATE-TIME") from exc
    if when.tzinfo is None:
        raise PlaylistError("EXT-X-PROGRAM-DATE-TIME without a time zone")
    return when.timestamp()
