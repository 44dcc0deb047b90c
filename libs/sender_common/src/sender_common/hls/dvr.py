"""The DVR window: every kept segment of an endpoint's rendition, as one rewindable playlist.

Each generation's rendition folder keeps an append-only `dvr.jsonl`, one line per segment
written to the spool (only after the file is complete, so nothing half-written is listed).
`dvr.m3u8` lists the segments of the window with `EXT-X-PROGRAM-DATE-TIME` on each, a
discontinuity and a new `EXT-X-MAP` at every break, and ENDLIST once the stream ended
(RFC 8216 4.3.3.5: `EVENT` while nothing has left the start of the window).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from sender_common.hls.tags import format_pdt

__all__ = ["INDEX_NAME", "DvrEntry", "append_entry", "read_entries", "render_dvr"]
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
    trimmed: bool,
) -> str:
    """The DVR playlist of `entries` (oldest first)."""
    target = max((max(1, round(e.duration)) for e in entries), default=1)
    out = ["#EXTM3U", "#EXT-X-VERSION:6", f"#EXT-X-TARGETDURATION:{math.ceil(target)}"]
    if not trimmed:
        out.append("#EXT-X-PLAYLIST-TYPE:EVENT")
    first = entries[0].msn if entries else 0
    out += [f"#EXT-X-MEDIA-SEQUENCE:{first}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    current_map: str | None = None
    for i, e in enumerate(entries):
        if i > 0 and (e.discontinuity or e.map_uri != current_map):
            out.append("#EXT-X-DISCONTINUITY")
        if e.map_uri != current_map:
            out.append(f'#EXT-X-MAP:URI="{prefix}{e.map_uri}"')
            current_map = e.map_uri
        out.append(_entry_text(e, prefix))
    if ended:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"


@functools.lru_cache(maxsize=32_768)
def _entry_text(e: DvrEntry, prefix: str) -> str:
    """A segment's own lines, formatted once (a long window re-renders them often)."""
    return (
        f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(e.pdt)}\n#EXTINF:{e.duration:.5f},\n{prefix}{e.uri}"
    )
