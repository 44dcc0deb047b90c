"""What an upstream offers (its entry point) and what its failures mean for a session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from sender_common.hls.llparse import parse_ll_playlist
from sender_common.hls.playlist import (
    MasterPlaylist,
    PlaylistError,
    Variant,
    is_master_playlist,
    parse_master_playlist,
)
from sender_edge.mirror.fetch import (
    MAX_PLAYLIST_BYTES,
    FetchError,
    UpstreamNotLive,
    UpstreamTlsError,
    get_bytes,
)
from sender_edge.mirror.follower import MasterSeenError

VARIANT = re.compile(r"^live/([a-z0-9][a-z0-9_-]{0,31})\.m3u8$")
SINGLE = ""  # the rendition key of an upstream serving one media playlist
MAX_BACKOFF = 10.0


@dataclass(frozen=True, slots=True)
class Failure:
    kind: str  # the `kind` label of sender_edge_upstream_errors_total
    message: str
    fatal: bool  # the session is in `error` until a request succeeds
    least: float  # the least delay before the next request


def classify(exc: BaseException, reload_interval: float, segment_seconds: float) -> Failure:
    """What a failed upstream request means."""
    if isinstance(exc, MasterSeenError):
        return Failure("invalid", str(exc), False, 0.0)
    if isinstance(exc, UpstreamNotLive):
        least = max(reload_interval, segment_seconds)
        return Failure("not_live", f"upstream not live: {exc}", False, least)
    if isinstance(exc, UpstreamTlsError):
        return Failure("tls", str(exc), True, 0.0)
    if isinstance(exc, PlaylistError | FetchError):
        return Failure("invalid", f"upstream refused: {exc}", True, 0.0)
    if isinstance(exc, httpx.HTTPStatusError):
        return Failure("http", f"upstream HTTP {exc.response.status_code}", False, 0.0)
    if isinstance(exc, httpx.TransportError | OSError):
        message = f"upstream unreachable: {type(exc).__name__}: {exc}"
        return Failure("transport", message, False, 0.0)
    return Failure("internal", f"internal error: {exc!r}", False, MAX_BACKOFF)


async def discover(
    client: httpx.AsyncClient, root: str, renditions: list[str] | None
) -> tuple[dict[str, str], MasterPlaylist | None]:
    """The media playlists to follow (rendition -> URL) and the master the edge serves."""
    live_url = root + "live.m3u8"
    body = await get_bytes(client, live_url, limit=MAX_PLAYLIST_BYTES, attempts=2)
    text = body.decode("utf-8", "replace")
    if not is_master_playlist(text):
        parse_ll_playlist(text)  # refuse garbage before following it
        return {SINGLE: live_url}, None
    chosen = choose(parse_master_playlist(text), renditions)
    master = MasterPlaylist(
        variants=[
            Variant(f"live/{n}.m3u8", v.bandwidth, v.resolution, v.codecs, v.name)
            for n, v in chosen
        ],
        independent_segments=True,
    )
    return {name: urljoin(live_url, v.uri) for name, v in chosen}, master


def choose(master: MasterPlaylist, wanted: list[str] | None) -> list[tuple[str, Variant]]:
    """The upstream's variants this session mirrors (`live/{name}.m3u8` only)."""
    chosen: list[tuple[str, Variant]] = []
    for variant in master.variants:
        m = VARIANT.match(variant.uri)
        if m is None:
            raise PlaylistError(f"unexpected variant URI {variant.uri[:100]!r}")
        if wanted is None or m.group(1) in wanted:
            chosen.append((m.group(1), variant))
    if not chosen:
        raise PlaylistError("none of the requested renditions is offered upstream")
    return chosen
