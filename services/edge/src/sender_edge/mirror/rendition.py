"""One mirrored rendition: the edge's own continuous playlist over the segments on disk."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sender_common.hls.continuity import ContinuousPlaylist
from sender_common.hls.playlist import MediaPlaylist, Segment

PRUNE_MARGIN = 2  # segments kept on disk after leaving the window, for slow players


@dataclass(frozen=True, slots=True)
class Pending:
    """An upstream segment not folded in yet: its upstream sequence number and path."""

    sequence: int
    segment: Segment
    url: str
    path: str  # below the endpoint's spool directory: `{gen}/{rendition}/{file}`

    @property
    def generation(self) -> int:
        return int(self.path.split("/", 1)[0])


class RenditionMirror:
    """Keeps the upstream's sequence numbers: a gap (segments we never got) starts afresh."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.playlist: ContinuousPlaylist | None = None
        self.next_sequence: int | None = None
        self.target = 1
        self.generation: int | None = None
        self._files: deque[str] = deque()

    @property
    def ready(self) -> bool:
        return self.playlist is not None

    @property
    def ended(self) -> bool:
        return self.playlist is not None and self.playlist.ended

    def wanted(self, sequence: int) -> bool:
        return self.next_sequence is None or sequence >= self.next_sequence

    def fold(self, item: Pending) -> list[str]:
        """Advertise a segment now on disk; returns paths that fell out of the disk window."""
        if self.playlist is None or item.sequence != self.next_sequence:
            # First segment, or upstream moved past segments we never fetched: RFC 8216
            # 6.2.2 lets a client see the media sequence jump, so restart the window there.
            self.playlist = ContinuousPlaylist(self.window, first_sequence=item.sequence)
        self.playlist.update(
            "upstream", "", MediaPlaylist(target_duration=self.target, segments=[item.segment])
        )
        self.next_sequence = item.sequence + 1
        self.generation = item.generation
        self._files.append(item.path)
        gone: list[str] = []
        while len(self._files) > self.window + PRUNE_MARGIN:
            gone.append(self._files.popleft())
        return gone

    def mark_ended(self, ended: bool) -> None:
        if self.playlist is not None:
            self.playlist.update(
                "upstream", "", MediaPlaylist(target_duration=self.target, endlist=ended)
            )

    def render(self, prefix: str) -> bytes | None:
        if self.playlist is None:
            return None
        return self.playlist.render(prefix).encode()

    @property
    def media_sequence(self) -> int | None:
        if self.playlist is None:
            return None
        return self.playlist.media_sequence
