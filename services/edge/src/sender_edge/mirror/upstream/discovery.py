"""What an upstream offers: its entry point, and the renditions a session follows."""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin

import httpx

from sender_common.errors import SenderError
from sender_common.hls.playlist.master import (
    MasterPlaylist,
    Variant,
    is_master_playlist,
    parse_master_playlist,
)
from sender_common.hls.playlist.parse import parse_media_playlist
from sender_common.hls.playlist.syntax import PlaylistError
from sender_common.models import RENDITION_PATTERN
from sender_edge.mirror.upstream.fetch import MAX_PLAYLIST_BYTES, get_bytes

log = logging.getLogger(__name__)
VARIANT = re.compile(rf"^live/({RENDITION_PATTERN[1:-1]})\.m3u8$")
_CHECK_BYTES = 64 * 1024  # the playback API's answer for one endpoint
SINGLE = ""  # the rendition key of an upstream serving one media playlist


async def discover(
    client: httpx.AsyncClient, root: str, renditions: list[str] | None
) -> tuple[dict[str, str], MasterPlaylist | None]:
    """The media playlists to follow (rendition -> URL) and the master the edge serves."""
    live_url = root + "live.m3u8"
    body = await get_bytes(client, live_url, limit=MAX_PLAYLIST_BYTES, attempts=2)
    text = body.decode("utf-8", "replace")
    if not is_master_playlist(text):
        parse_media_playlist(text)  # refuse garbage before following it
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


async def upstream_knows(client: httpx.AsyncClient, upstream_url: str, slug: str) -> bool:
    """Ask the upstream's playback API first, so unknown names never create sessions."""
    url = f"{upstream_url}/api/v1/playback/{slug}"
    try:
        await get_bytes(client, url, limit=_CHECK_BYTES, attempts=1)
    except (SenderError, httpx.HTTPError) as exc:
        log.info("%s: on-demand check failed: %s", slug, exc)
        return False
    return True
