"""The playlists an edge serves: `live.m3u8` and `live/{rendition}.m3u8`, from its own state.

Viewers' blocking reloads (RFC 8216bis 6.2.5.2) wait on the rendition's `LivePlaylist`,
which its follower updates: one shared wake-up per change for every waiting viewer, and
never a request upstream. A wait lasts at most three target durations.
"""

from __future__ import annotations

from collections.abc import Iterable

from sender_common.hls.playlist.live import LiveWait
from sender_common.hls.playlist.master import Variant
from sender_common.hls.playlist.reload import (
    master_bytes,
    media_reload,
    playable,
    rendition_report,
)
from sender_common.hls.playlist.segments import RenditionReport
from sender_common.hls.serve.request import Blocking
from sender_edge.mirror.follow.follower import Follower

BLOCK_TARGETS = 3  # a blocking reload waits at most this many target durations


def has_content(follower: Follower | None) -> bool:
    return follower is not None and follower.started and playable(follower.playlist)


def report_of(name: str, follower: Follower) -> RenditionReport | None:
    """EXT-X-RENDITION-REPORT of another rendition (RFC 8216bis 4.4.5.4)."""
    if not follower.started or not follower.low_latency:
        return None
    return rendition_report(name, follower.playlist)


async def media(
    follower: Follower,
    prefix: str,
    block: Blocking | None,
    *,
    low_latency: bool,
    others: Iterable[tuple[str, Follower]] = (),
) -> bytes | None:
    """A rendition's media playlist, after waiting for `block` when the stream is LL-HLS."""
    found = media_now(follower, prefix, block, low_latency=low_latency, others=others)
    return await found.result() if isinstance(found, LiveWait) else found


def media_now(
    follower: Follower,
    prefix: str,
    block: Blocking | None,
    *,
    low_latency: bool,
    others: Iterable[tuple[str, Follower]] = (),
) -> bytes | LiveWait | None:
    """`media` now, or the wait of a blocking reload that is not satisfied yet."""
    if not has_content(follower):
        return None
    pl = follower.playlist
    ll = low_latency and follower.low_latency
    others = list(others)

    def reports() -> list[RenditionReport]:
        return [r for name, other in others if (r := report_of(name, other)) is not None]

    timeout = BLOCK_TARGETS * pl.target
    return media_reload(pl, prefix, block, low_latency=ll, reports=reports, timeout=timeout)


def master(variants: list[Variant], followers: dict[str, Follower]) -> bytes | None:
    """The master playlist over the renditions that have something to play."""
    ready = [v for v in variants if has_content(followers.get(rendition_of(v.uri) or ""))]
    if not ready:
        return None
    return master_bytes(ready)


def rendition_of(uri: str) -> str | None:
    """`live/{name}.m3u8` -> name."""
    if uri.startswith("live/") and uri.endswith(".m3u8"):
        return uri[len("live/") : -len(".m3u8")]
    return None
