"""The DVR window: every kept segment of an endpoint's rendition, as one rewindable playlist.

Each generation's rendition folder keeps an append-only `dvr.jsonl`, one line per segment
written to the spool (only after the file is complete, so nothing half-written is listed).
`dvr.m3u8` lists the segments of the window with `EXT-X-PROGRAM-DATE-TIME` on each, a
discontinuity and a new `EXT-X-MAP` at every break, the count of breaks that left the start
of the window (EXT-X-DISCONTINUITY-SEQUENCE, RFC 8216 6.2.2), and ENDLIST once the stream ended.
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from sender_common.hls.playlist.tags import segment_head

__all__ = ["INDEX_NAME", "DvrEntry", "DvrTrack", "append_entry", "read_entries", "render_dvr"]
INDEX_NAME = "dvr.jsonl"


@dataclass(frozen=True, slots=True)
class DvrEntry:
    """One kept segment; URIs are relative to the endpoint's HLS folder."""

    msn: int
    uri: str
    map_uri: str
    duration: float
    pdt: float
    size: int
    discontinuity: bool = False


def append_entry(folder: Path, entry: DvrEntry) -> None:
    with (folder / INDEX_NAME).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(entry), separators=(",", ":")) + "\n")


def read_entries(folder: Path) -> list[DvrEntry]:
    """A rendition folder's index; a torn last line (a crash mid-write) is skipped."""
    out: list[DvrEntry] = []
    try:
        text = (folder / INDEX_NAME).read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            out.append(DvrEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def render_dvr(
    entries: list[DvrEntry],
    *,
    prefix: str = "",
    ended: bool,
    discontinuity_sequence: int = 0,
) -> str:
    """The DVR playlist of `entries` (oldest first), after `discontinuity_sequence` breaks
    that left the start of the window. No PLAYLIST-TYPE: the window slides, so neither
    EVENT's promise (nothing removed) nor VOD's (nothing changes) holds."""
    target = max((max(1, round(e.duration)) for e in entries), default=1)
    out = ["#EXTM3U", "#EXT-X-VERSION:6", f"#EXT-X-TARGETDURATION:{math.ceil(target)}"]
    first = entries[0].msn if entries else 0
    out.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    if discontinuity_sequence:
        out.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    out.append("#EXT-X-INDEPENDENT-SEGMENTS")
    current_map: str | None = None
    for i, e in enumerate(entries):
        brk = i > 0 and (e.discontinuity or e.map_uri != current_map)
        current_map = segment_head(out, prefix, e.map_uri, current_map, brk, e.pdt)
        out.append(f"#EXTINF:{e.duration:.5f},\n{prefix}{e.uri}")
    if ended:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"


class DvrTrack:
    """One rendition's kept segments, oldest first, with what a window of them needs:
    each segment's end (to find a window's start by bisection) and the breaks up to it
    (the window's EXT-X-DISCONTINUITY-SEQUENCE). The last rendering is kept: a window
    changes only when a segment arrives or leaves, or the stream ends."""

    def __init__(self, entries: list[DvrEntry] | None = None, *, breaks_before: int = 0) -> None:
        self.entries: list[DvrEntry] = []
        self._ends: list[float] = []
        self._breaks: list[int] = []  # breaks from the first kept segment through each
        self._base = breaks_before  # breaks among segments no longer kept
        self._last: tuple[tuple[int, int, bool, str], bytes] | None = None
        for e in entries or ():
            self.append(e)

    def append(self, e: DvrEntry) -> None:
        prev = self.entries[-1] if self.entries else None
        brk = prev is not None and (e.discontinuity or e.map_uri != prev.map_uri)
        self._breaks.append((self._breaks[-1] if self._breaks else self._base) + brk)
        self.entries.append(e)
        self._ends.append(e.pdt + e.duration)

    def breaks_through(self, index: int) -> int:
        """Discontinuities before segment `index` (counting its own, which a window starting
        at it does not show)."""
        return self._breaks[index]

    def render(self, since: float, *, prefix: str, ended: bool) -> bytes | None:
        """The playlist of the segments ending at or after `since`; None when there are none."""
        start = bisect.bisect_left(self._ends, since)
        n = len(self.entries)
        if start >= n:
            return None
        key = (n, start, ended, prefix)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        body = render_dvr(
            self.entries[start:],
            prefix=prefix,
            ended=ended,
            discontinuity_sequence=self._breaks[start],
        ).encode()
        self._last = (key, body)
        return body
