"""The media-playlist parser (RFC 8216bis), for following an upstream and for checking
what a role serves.

Reads what `LivePlaylist.render` writes, and any conforming (LL-)HLS media playlist:
EXT-X-MAP (4.4.4.5), EXT-X-PART (4.4.4.9), EXT-X-PRELOAD-HINT (4.4.5.3),
EXT-X-SERVER-CONTROL (4.4.3.8), EXT-X-PART-INF (4.4.3.7), EXT-X-RENDITION-REPORT (4.4.5.4),
EXT-X-PROGRAM-DATE-TIME (4.4.4.6), EXT-X-DISCONTINUITY (4.4.4.3) and EXT-X-ENDLIST
(4.4.3.4). Unknown tags are ignored. The text is untrusted: sizes, counts, durations and
numbers are bounded, and any violation raises `PlaylistError`. URIs are returned as written;
resolving and checking them is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sender_common.hls.playlist.segments import LiveSegment, Part, RenditionReport
from sender_common.hls.playlist.syntax import (
    MAX_DURATION,
    MAX_PLAYLIST_BYTES,
    MAX_SEGMENTS,
    PlaylistError,
    attributes,
    duration,
    pdt,
    playlist_lines,
    uint,
    uri,
)

__all__ = ["MAX_PARTS", "MediaPlaylist", "parse_media_playlist"]
MAX_PARTS = 2_000  # parts in one playlist (all segments together)
MAX_REPORTS = 64


@dataclass(slots=True)
class MediaPlaylist:
    target_duration: int
    media_sequence: int = 0
    discontinuity_sequence: int = 0
    segments: list[LiveSegment] = field(default_factory=list)
    # the open segment (MSN `next_msn`): its parts so far and what applies to it
    parts: list[Part] = field(default_factory=list)
    open_map: str | None = None
    open_discontinuity: bool = False
    open_pdt: float | None = None
    hint: str | None = None
    can_block_reload: bool = False
    part_target: float | None = None
    reports: list[RenditionReport] = field(default_factory=list)
    endlist: bool = False
    independent_segments: bool = False

    @property
    def next_msn(self) -> int:
        """The MSN of the open segment (the one after the last complete segment)."""
        return self.media_sequence + len(self.segments)

    @property
    def last_sequence(self) -> int:
        """The MSN of the last complete segment."""
        return self.next_msn - 1

    @property
    def low_latency(self) -> bool:
        """Blocking reloads and parts: the upstream is an LL-HLS server."""
        return self.can_block_reload and self.part_target is not None


class _Builder:
    """State while reading the lines of one playlist."""

    def __init__(self, max_segments: int = MAX_SEGMENTS) -> None:
        self.max_segments = max_segments
        self.pl = MediaPlaylist(target_duration=-1)
        self.map: str | None = None
        self.disc = False
        self.pdt: float | None = None
        self.parts: list[Part] = []
        self.extinf: float | None = None
        self.nparts = 0

    def tag(self, line: str) -> None:
        name, _, value = line.partition(":")
        pl = self.pl
        if name == "#EXT-X-TARGETDURATION":
            pl.target_duration = uint(value, name)
        elif name == "#EXT-X-MEDIA-SEQUENCE":
            pl.media_sequence = uint(value, name)
        elif name == "#EXT-X-DISCONTINUITY-SEQUENCE":
            pl.discontinuity_sequence = uint(value, name)
        elif line == "#EXT-X-INDEPENDENT-SEGMENTS":
            pl.independent_segments = True
        elif line == "#EXT-X-DISCONTINUITY":
            self.disc = True
        elif line == "#EXT-X-ENDLIST":
            pl.endlist = True
        elif name == "#EXT-X-PROGRAM-DATE-TIME":
            self.pdt = pdt(value)
        elif name == "#EXT-X-MAP":
            attrs = attributes(value)
            if "BYTERANGE" in attrs:
                raise PlaylistError("EXT-X-MAP with BYTERANGE is not supported")
            self.map = uri(attrs.get("URI"), name)
        elif name == "#EXT-X-PART":
            self.part(attributes(value))
        elif name == "#EXT-X-PRELOAD-HINT":
            attrs = attributes(value)
            if attrs.get("TYPE") == "PART" and "BYTERANGE-START" not in attrs:
                pl.hint = uri(attrs.get("URI"), name)
        elif name == "#EXT-X-SERVER-CONTROL":
            pl.can_block_reload = attributes(value).get("CAN-BLOCK-RELOAD") == "YES"
        elif name == "#EXT-X-PART-INF":
            pl.part_target = duration(attributes(value).get("PART-TARGET", ""), name)
        elif name == "#EXT-X-RENDITION-REPORT":
            self.report(attributes(value))
        elif name == "#EXTINF":
            self.extinf = duration(value.partition(",")[0], name)
        elif name == "#EXT-X-STREAM-INF":
            raise PlaylistError("a master playlist where a media playlist was expected")

    def part(self, attrs: dict[str, str]) -> None:
        if "BYTERANGE" in attrs:
            raise PlaylistError("EXT-X-PART with BYTERANGE is not supported")
        self.nparts += 1
        if self.nparts > MAX_PARTS:
            raise PlaylistError("too many parts")
        where = uri(attrs.get("URI"), "EXT-X-PART")
        seconds = duration(attrs.get("DURATION", ""), "EXT-X-PART DURATION")
        self.parts.append(Part(where, seconds, attrs.get("INDEPENDENT") == "YES"))

    def report(self, attrs: dict[str, str]) -> None:
        if len(self.pl.reports) >= MAX_REPORTS:
            raise PlaylistError("too many rendition reports")
        where = uri(attrs.get("URI"), "EXT-X-RENDITION-REPORT")
        msn = uint(attrs.get("LAST-MSN", ""), "LAST-MSN")
        last = attrs.get("LAST-PART")
        part = None if last is None else uint(last, "LAST-PART")
        self.pl.reports.append(RenditionReport(where, msn, part))

    def segment(self, line: str) -> None:
        if self.extinf is None:
            raise PlaylistError("segment URI without EXTINF")
        pl = self.pl
        msn = pl.media_sequence + len(pl.segments)
        seg = LiveSegment(
            msn, uri(line, "segment"), self.extinf, self.map, self.disc, self.pdt, self.parts
        )
        pl.segments.append(seg)
        if len(pl.segments) > self.max_segments:
            raise PlaylistError("too many segments")
        self.extinf, self.disc, self.pdt, self.parts = None, False, None, []

    def finish(self) -> MediaPlaylist:
        pl = self.pl
        if pl.target_duration < 0:
            raise PlaylistError("missing EXT-X-TARGETDURATION (RFC 8216 4.3.3.1)")
        if pl.target_duration > MAX_DURATION:
            raise PlaylistError("EXT-X-TARGETDURATION out of range")
        pl.parts = self.parts
        pl.open_map, pl.open_discontinuity, pl.open_pdt = self.map, self.disc, self.pdt
        return pl


def parse_media_playlist(text: str, limit: int = MAX_PLAYLIST_BYTES) -> MediaPlaylist:
    """Parse a (possibly low-latency) media playlist of at most `limit` characters (a longer
    limit allows proportionally more segments); PlaylistError on anything malformed."""
    builder = _Builder(max(MAX_SEGMENTS, MAX_SEGMENTS * limit // MAX_PLAYLIST_BYTES))
    for line in playlist_lines(text, limit)[1:]:
        if line.startswith("#"):
            builder.tag(line)
        else:
            builder.segment(line)
    return builder.finish()
