"""The text of a live media playlist (RFC 8216bis 4.4), the same at the origin and on edges:
the window's segments, the newest segments' parts (4.4.4.9), the open segment's parts and
preload hint (4.4.5.3), rendition reports (4.4.5.4), and ENDLIST once the stream ended."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sender_common.hls.playlist.segments import LiveSegment, Part, RenditionReport
from sender_common.hls.playlist.tags import number, part_line, report_line, segment_head

__all__ = ["PART_HOLD_BACK_PARTS", "RenderedPlaylist", "render_live", "render_live_bytes"]
PART_HOLD_BACK_PARTS = 3.0  # the HLS authoring spec asks for at least three part targets


class RenderedPlaylist(Protocol):
    """What the text is made of: a `LivePlaylist` (`live.py`), read as it is, with the
    last rendered body kept on it (`rendered`, valid while `version` stays)."""

    rendered: tuple[tuple[object, ...], bytes] | None

    @property
    def version(self) -> int: ...
    @property
    def target(self) -> int: ...
    @property
    def part_target(self) -> float: ...
    @property
    def segments(self) -> Iterable[LiveSegment]: ...
    @property
    def parts(self) -> Sequence[Part]: ...
    @property
    def next_msn(self) -> int: ...
    @property
    def disc_seq(self) -> int: ...
    @property
    def independent(self) -> bool: ...
    @property
    def ended(self) -> bool: ...
    @property
    def hint(self) -> str | None: ...
    @property
    def map_uri(self) -> str | None: ...
    @property
    def open_discontinuity(self) -> bool: ...
    @property
    def open_pdt(self) -> float | None: ...


def render_live_bytes(
    pl: RenderedPlaylist, prefix: str, *, low_latency: bool, reports: list[RenditionReport] | None
) -> bytes:
    """`render_live` as bytes, made once per change: every viewer woken by the same change
    (and every poll until the next one) gets the same body."""
    key = (prefix, low_latency, pl.version, pl.target, pl.part_target, tuple(reports or ()))
    if pl.rendered is None or pl.rendered[0] != key:
        body = render_live(pl, prefix, low_latency=low_latency, reports=reports).encode()
        pl.rendered = (key, body)
    return pl.rendered[1]


def render_live(
    pl: RenderedPlaylist,
    prefix: str = "",
    *,
    low_latency: bool = True,
    reports: list[RenditionReport] | None = None,
) -> str:
    """The playlist text; URIs get `prefix` (where the playlist is served from)."""
    segs = list(pl.segments)
    disc_seq = pl.disc_seq
    first_msn = segs[0].msn if segs else pl.next_msn
    out = ["#EXTM3U", "#EXT-X-VERSION:6", f"#EXT-X-TARGETDURATION:{pl.target}"]
    if low_latency:
        hold = number(PART_HOLD_BACK_PARTS * pl.part_target)
        out.append(f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={hold}")
        out.append(f"#EXT-X-PART-INF:PART-TARGET={number(pl.part_target)}")
    lead_disc = bool(segs) and segs[0].discontinuity
    out.append(f"#EXT-X-MEDIA-SEQUENCE:{first_msn}")
    if disc_seq + lead_disc:
        out.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{disc_seq + lead_disc}")
    if pl.independent:
        out.append("#EXT-X-INDEPENDENT-SEGMENTS")
    current_map: str | None = None
    for i, seg in enumerate(segs):
        current_map = segment_head(
            out, prefix, seg.map_uri, current_map, seg.discontinuity and i > 0, seg.pdt
        )
        if low_latency:
            out.extend(part_line(prefix, p.uri, p.duration, p.independent) for p in seg.parts)
        out.append(f"#EXTINF:{seg.duration:.5f},")
        out.append(prefix + seg.uri)
    if low_latency and not pl.ended:
        if pl.parts:
            segment_head(out, prefix, pl.map_uri, current_map, pl.open_discontinuity, pl.open_pdt)
            out.extend(part_line(prefix, p.uri, p.duration, p.independent) for p in pl.parts)
        if pl.hint is not None:
            out.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{prefix}{pl.hint}"')
        out.extend(report_line(r.uri, r.last_msn, r.last_part) for r in reports or [])
    if pl.ended:
        out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"
