"""Pure parsing and writing of HLS playlists (RFC 8216).

Only what Sender needs: media playlists (4.3.3 tags, 4.3.2.1 EXTINF, 4.3.2.3
EXT-X-DISCONTINUITY, 4.3.2.6 EXT-X-PROGRAM-DATE-TIME, 4.3.3.4 EXT-X-ENDLIST) and master
playlists (4.3.4.2 EXT-X-STREAM-INF). Unknown tags are ignored, as 4.1 requires of clients.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

MAX_PLAYLIST_BYTES = 1_000_000
MAX_SEGMENTS = 5_000
_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


class PlaylistError(ValueError):
    """The text is not a playlist Sender can use."""


@dataclass(slots=True)
class Segment:
    uri: str
    duration: float
    discontinuity: bool = False
    program_date_time: str | None = None
    title: str = ""


@dataclass(slots=True)
class MediaPlaylist:
    target_duration: int
    media_sequence: int = 0
    discontinuity_sequence: int = 0
    segments: list[Segment] = field(default_factory=list)
    endlist: bool = False
    version: int = 3
    independent_segments: bool = False

    @property
    def last_sequence(self) -> int:
        return self.media_sequence + len(self.segments) - 1


@dataclass(slots=True)
class Variant:
    uri: str
    bandwidth: int
    resolution: str | None = None
    codecs: str | None = None
    name: str | None = None


@dataclass(slots=True)
class MasterPlaylist:
    variants: list[Variant] = field(default_factory=list)
    independent_segments: bool = False


def playlist_lines(text: str, limit: int = MAX_PLAYLIST_BYTES) -> list[str]:
    """The non-empty, stripped lines of a bounded playlist that starts with #EXTM3U."""
    if len(text) > limit:
        raise PlaylistError("playlist too large")
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("missing #EXTM3U header (RFC 8216 4.3.1.1)")
    return lines


def _int_tag(line: str, name: str) -> int:
    try:
        value = int(line.split(":", 1)[1])
    except (IndexError, ValueError) as exc:
        raise PlaylistError(f"bad {name}") from exc
    if value < 0:
        raise PlaylistError(f"negative {name}")
    return value


def _check_uri(uri: str) -> str:
    if len(uri) > 2048 or any(ord(c) < 32 for c in uri):
        raise PlaylistError("bad URI")
    return uri


def parse_media_playlist(text: str) -> MediaPlaylist:
    """Parse a media playlist; raises PlaylistError on anything malformed."""
    lines = playlist_lines(text)
    pl = MediaPlaylist(target_duration=-1)
    pending: Segment | None = None
    disc = False
    pdt: str | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-TARGETDURATION:"):
            pl.target_duration = _int_tag(line, "EXT-X-TARGETDURATION")
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            pl.media_sequence = _int_tag(line, "EXT-X-MEDIA-SEQUENCE")
        elif line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            pl.discontinuity_sequence = _int_tag(line, "EXT-X-DISCONTINUITY-SEQUENCE")
        elif line.startswith("#EXT-X-VERSION:"):
            pl.version = _int_tag(line, "EXT-X-VERSION")
        elif line == "#EXT-X-INDEPENDENT-SEGMENTS":
            pl.independent_segments = True
        elif line == "#EXT-X-DISCONTINUITY":
            disc = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = line.split(":", 1)[1]
        elif line == "#EXT-X-ENDLIST":
            pl.endlist = True
        elif line.startswith("#EXT-X-STREAM-INF"):
            raise PlaylistError("a master playlist where a media playlist was expected")
        elif line.startswith("#EXTINF:"):
            value = line.split(":", 1)[1]
            dur_text, _, title = value.partition(",")
            try:
                duration = float(dur_text)
            except ValueError as exc:
                raise PlaylistError("bad EXTINF duration") from exc
            if not math.isfinite(duration) or duration < 0 or duration > 3600:
                raise PlaylistError("EXTINF duration out of range")
            pending = Segment(uri="", duration=duration, title=title)
        elif line.startswith("#"):
            continue
        else:
            if pending is None:
                raise PlaylistError("segment URI without EXTINF")
            pending.uri = _check_uri(line)
            pending.discontinuity = disc
            pending.program_date_time = pdt
            pl.segments.append(pending)
            if len(pl.segments) > MAX_SEGMENTS:
                raise PlaylistError("too many segments")
            pending, disc, pdt = None, False, None
    if pl.target_duration < 0:
        raise PlaylistError("missing EXT-X-TARGETDURATION (RFC 8216 4.3.3.1)")
    return pl


def _attrs(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def parse_master_playlist(text: str) -> MasterPlaylist:
    """Parse a master playlist (EXT-X-STREAM-INF entries and their URIs)."""
    lines = playlist_lines(text)
    master = MasterPlaylist()
    pending: dict[str, str] | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = _attrs(line.split(":", 1)[1])
        elif line == "#EXT-X-INDEPENDENT-SEGMENTS":
            master.independent_segments = True
        elif line.startswith("#EXTINF"):
            raise PlaylistError("a media playlist where a master playlist was expected")
        elif line.startswith("#"):
            continue
        elif pending is not None:
            try:
                bandwidth = int(pending.get("BANDWIDTH", "0"))
            except ValueError as exc:
                raise PlaylistError("bad BANDWIDTH") from exc
            master.variants.append(
                Variant(
                    uri=_check_uri(line),
                    bandwidth=bandwidth,
                    resolution=pending.get("RESOLUTION"),
                    codecs=pending.get("CODECS"),
                    name=pending.get("NAME"),
                )
            )
            pending = None
    if not master.variants:
        raise PlaylistError("master playlist without variants")
    return master


def is_master_playlist(text: str) -> bool:
    return "#EXT-X-STREAM-INF" in text


def write_media_playlist(pl: MediaPlaylist) -> str:
    """Serialise a media playlist."""
    out = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{max(3, pl.version)}",
        f"#EXT-X-TARGETDURATION:{pl.target_duration}",
        f"#EXT-X-MEDIA-SEQUENCE:{pl.media_sequence}",
    ]
    if pl.discontinuity_sequence:
        out.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{pl.discontinuity_sequence}")
    if pl.independent_segments:
        out.append("#EXT-X-INDEPENDENT-SEGMENTS")
    for seg in pl.segments:
        if seg.discontinuity:
            out.append("#EXT-X-DISCONTINUITY")
        if seg.program_date_time:
            out.append(f"#EXT-X-PROGRAM-DATE-TIME:{seg.program_date_time}")
        out.append(f"#EXTINF:{seg.duration:.6f},{seg.title}")
        out.append(seg.uri)
    if pl.endlist:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"


def write_master_playlist(master: MasterPlaylist) -> str:
    """Serialise a master playlist."""
    out = ["#EXTM3U", "#EXT-X-VERSION:3"]
    if master.independent_segments:
        out.append("#EXT-X-INDEPENDENT-SEGMENTS")
    for v in master.variants:
        attrs = [f"BANDWIDTH={v.bandwidth}"]
        if v.resolution:
            attrs.append(f"RESOLUTION={v.resolution}")
        if v.codecs:
            attrs.append(f'CODECS="{v.codecs}"')
        if v.name:
            attrs.append(f'NAME="{v.name}"')
        out.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        out.append(v.uri)
    return "\n".join(out) + "\n"
