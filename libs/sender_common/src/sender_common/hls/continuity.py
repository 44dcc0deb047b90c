"""One continuous live playlist across ffmpeg restarts, reconnects and generations.

Each source playlist (one generation's rendition) is folded in as it changes. New segments
get Sender's own media sequence numbers, which only rise; the first segment of a new source,
or one the source marked, carries EXT-X-DISCONTINUITY, and EXT-X-DISCONTINUITY-SEQUENCE counts
the discontinuities that left the window (RFC 8216 6.2.1, 6.2.2).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sender_common.hls.playlist import MediaPlaylist, Segment, write_media_playlist


@dataclass(slots=True)
class _Entry:
    key: str
    segment: Segment


class ContinuousPlaylist:
    """A sliding window of segments with stable, rising sequence numbers."""

    def __init__(self, window: int, first_sequence: int = 0, keep_extra: int = 0) -> None:
        self.window = window
        self._entries: deque[_Entry] = deque()
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        self._next_seq = first_sequence
        self._first_sequence = first_sequence
        self._disc_seq = 0
        self._source: str | None = None
        self._target = 1
        self._independent = False
        self.ended = False
        self._keep_extra = keep_extra

    @property
    def media_sequence(self) -> int:
        return self._next_seq - len(self._entries)

    def update(self, source: str, prefix: str, pl: MediaPlaylist) -> int:
        """Fold in `pl` (segment URIs get `prefix`); returns how many segments were new."""
        new = 0
        switched = self._source is not None and source != self._source
        self._target = max(self._target, pl.target_duration)
        self._independent = self._independent or pl.independent_segments
        for seg in pl.segments:
            key = f"{source}/{seg.uri}"
            if key in self._seen:
                continue
            disc = seg.discontinuity or (switched and new == 0)
            if self._next_seq == self._first_sequence:
                disc = False  # nothing came before the very first segment
            self._append(key, Segment(prefix + seg.uri, seg.duration, disc, seg.program_date_time))
            new += 1
        if new or switched:
            self._source = source
        self.ended = pl.endlist
        return new

    def append(self, source: str, key: str, seg: Segment) -> bool:
        """Add one segment that comes from no playlist (e.g. an offline slate)."""
        full = f"{source}/{key}"
        if full in self._seen:
            return False
        if self._next_seq == self._first_sequence:
            seg.discontinuity = False
        self._append(full, seg)
        self._source = source
        self.ended = False
        return True

    def _append(self, key: str, seg: Segment) -> None:
        self._entries.append(_Entry(key, seg))
        self._seen.add(key)
        self._seen_order.append(key)
        self._next_seq += 1
        while len(self._entries) > self.window + self._keep_extra:
            gone = self._entries.popleft()
            if gone.segment.discontinuity:
                self._disc_seq += 1
        while len(self._seen_order) > 4 * (self.window + 10):
            self._seen.discard(self._seen_order.popleft())

    def render(self, uri_prefix: str = "") -> str:
        """The playlist text; stored URIs get `uri_prefix` (where the playlist is served from)."""
        segments = list(self._entries)[-self.window :] if self._entries else []
        first_seq = self._next_seq - len(segments)
        disc_seq = self._disc_seq + sum(
            1
            for e in list(self._entries)[: len(self._entries) - len(segments)]
            if e.segment.discontinuity
        )
        out = [
            Segment(
                uri_prefix + e.segment.uri,
                e.segment.duration,
                e.segment.discontinuity,
                e.segment.program_date_time,
            )
            for e in segments
        ]
        if out and out[0].discontinuity:
            # A leading discontinuity carries no information; count it as passed instead.
            out[0] = Segment(out[0].uri, out[0].duration, False, out[0].program_date_time)
            disc_seq += 1
        pl = MediaPlaylist(
            target_duration=self._target,
            media_sequence=first_seq,
            discontinuity_sequence=disc_seq,
            segments=out,
            endlist=self.ended,
            version=6 if self._independent else 3,
            independent_segments=self._independent,
        )
        return write_media_playlist(pl)
