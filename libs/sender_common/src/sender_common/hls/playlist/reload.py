"""Answering a live playlist request (RFC 8216bis 6.2.5.2), the same at the origin and on
edges: a rendition's media playlist from its `LivePlaylist` (now, or the wait of a blocking
reload that is not satisfied yet), other renditions' reports, and the master playlist."""

from __future__ import annotations

from collections.abc import Callable

from sender_common.hls.playlist.live import LivePlaylist, LiveWait
from sender_common.hls.playlist.master import MasterPlaylist, Variant, write_master_playlist
from sender_common.hls.playlist.segments import RenditionReport
from sender_common.hls.serve.request import Blocking, BlockingRequestError

__all__ = ["master_bytes", "media_reload", "playable", "rendition_report"]


def playable(pl: LivePlaylist) -> bool:
    """Something to play: a segment, or a part of the open one."""
    return bool(pl.segments or pl.parts)


def rendition_report(name: str, pl: LivePlaylist) -> RenditionReport | None:
    """EXT-X-RENDITION-REPORT of rendition `name` (RFC 8216bis 4.4.5.4); None when empty."""
    if not playable(pl):
        return None
    return RenditionReport(f"{name}.m3u8", pl.last_msn, pl.last_part)


def media_reload(
    pl: LivePlaylist,
    prefix: str,
    block: Blocking | None,
    *,
    low_latency: bool,
    reports: Callable[[], list[RenditionReport]],
    timeout: float,
) -> bytes | LiveWait:
    """The media playlist now, or the wait (at most `timeout`) of a blocking reload that is
    not satisfied yet; `reports` are made when the answer is."""

    def render() -> bytes:
        return pl.render_bytes(prefix, low_latency=low_latency, reports=reports())

    if block is not None and low_latency:
        if pl.too_far(block.msn):
            raise BlockingRequestError("_HLS_msn is more than one segment ahead of live")
        if not pl.satisfied(block.msn, block.part):
            return pl.waiting(block.msn, block.part, timeout, render)
    return render()


def master_bytes(variants: list[Variant]) -> bytes:
    """The master playlist over `variants` (each rendition starts with a key frame)."""
    return write_master_playlist(MasterPlaylist(variants, independent_segments=True)).encode()
