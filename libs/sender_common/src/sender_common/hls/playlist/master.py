"""Parsing and writing of master playlists (RFC 8216 4.3.4.2 EXT-X-STREAM-INF).

Only what Sender needs: the variants (URI, BANDWIDTH, RESOLUTION, CODECS, NAME) and
EXT-X-INDEPENDENT-SEGMENTS. Unknown tags are ignored, as 4.1 requires of clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sender_common.hls.playlist.syntax import PlaylistError, attributes, playlist_lines, uri

__all__ = [
    "MasterPlaylist",
    "Variant",
    "is_master_playlist",
    "parse_master_playlist",
    "write_master_playlist",
]


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


def parse_master_playlist(text: str) -> MasterPlaylist:
    """Parse a master playlist (EXT-X-STREAM-INF entries and their URIs)."""
    lines = playlist_lines(text)
    master = MasterPlaylist()
    pending: dict[str, str] | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = attributes(line.split(":", 1)[1])
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
                    uri=uri(line, "EXT-X-STREAM-INF"),
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
