"""LL-HLS through edges: a real origin packaging a real ffmpeg publish, an edge following it
with blocking reloads, and a second edge chained behind the first."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist.parse import MediaPlaylist, parse_media_playlist
from tests import scrape
from tests.edge.helpers import follow_live, start_edge, start_live_endpoint, start_session
from tests.procs import Proc, start_origin, stop_publisher
from tests.tools import ffprobe
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
SLUG = "ll"


@dataclass
class Chain:
    origin: Proc
    edge: Proc
    chained: Proc


def playlist(base: str, query: str = "", timeout: float = 10) -> MediaPlaylist | None:
    r = httpx.get(f"{base}/sender/hls/{SLUG}/live.m3u8{query}", timeout=timeout)
    return parse_media_playlist(r.text) if r.status_code == 200 else None


def has_parts(base: str) -> MediaPlaylist | None:
    pl = playlist(base)
    return pl if pl is not None and pl.parts and pl.hint and pl.low_latency else None


def upstream_playlist_requests(edge: Proc) -> float:
    text = scrape.scrape(edge.url)
    return scrape.value(text, "sender_edge_upstream_requests_total", kind="playlist") or 0.0


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    root = tmp_path_factory.mktemp("ll")
    origin = start_origin(root / "origin")
    edge = start_edge(root / "edge", origin.url, settings={"count_localhost": True})
    chained = start_edge(root / "chained", edge.url)
    pub = start_live_endpoint(origin, SLUG)
    try:
        follow_live(edge, SLUG)
        wait_for(lambda: has_parts(chained.url), 30, "parts on the chained edge")
        yield Chain(origin, edge, chained)
    finally:
        stop_publisher(pub)
        for proc in (chained, edge, origin):
            proc.stop()


def test_edge_serves_the_origins_parts_segments_and_uris(chain: Chain) -> None:
    def enough() -> MediaPlaylist | None:
        pl = has_parts(chain.edge.url)
        return pl if pl is not None and len(pl.segments) >= 4 else None

    down = wait_for(enough, 20, "four segments on the edge")
    up = wait_for(lambda: has_parts(chain.origin.url), 10, "origin parts")
    assert down.low_latency and down.part_target == up.part_target
    assert down.target_duration == up.target_duration
    theirs = {s.msn: s for s in up.segments}
    common = [s for s in down.segments if s.msn in theirs]
    assert len(common) >= 3
    for seg in common:  # same MSNs, URIs, init sections, timing and parts on every node
        other = theirs[seg.msn]
        assert (seg.uri, seg.map_uri, seg.duration) == (other.uri, other.map_uri, other.duration)
        assert seg.pdt == pytest.approx(other.pdt, abs=0.002)
        if seg.parts and other.parts:
            assert seg.parts == other.parts
    seg = common[-1]
    part = (seg.parts or down.parts)[0].uri
    for uri in (seg.uri, part, seg.map_uri):
        mine = httpx.get(f"{chain.edge.url}/sender/hls/{SLUG}/{uri}", timeout=5)
        assert mine.status_code == 200, uri
        assert mine.content == httpx.get(f"{chain.origin.url}/sender/hls/{SLUG}/{uri}").content


async def _blocked(client: httpx.AsyncClient, url: str) -> tuple[float, MediaPlaylist]:
    r = await client.get(url)
    assert r.status_code == 200, r.text
    return time.monotonic(), parse_media_playlist(r.text)


async def _race(chain: Chain, msn: int, part: int) -> tuple[float, MediaPlaylist]:
    query = f"?_HLS_msn={msn}&_HLS_part={part}"
    async with httpx.AsyncClient(timeout=10) as client:
        (t_up, _), (t_down, pl) = await asyncio.gather(
            _blocked(client, f"{chain.origin.url}/sender/hls/{SLUG}/live.m3u8{query}"),
            _blocked(client, f"{chain.edge.url}/sender/hls/{SLUG}/live.m3u8{query}"),
        )
    return t_down - t_up, pl


def test_blocking_reloads_on_the_edge_follow_the_origin_within_a_part(chain: Chain) -> None:
    delays = []
    for _ in range(6):
        pl = wait_for(lambda: has_parts(chain.edge.url), 10, "edge parts")
        msn, part = pl.next_msn, len(pl.parts)  # the part after the newest: not there yet
        delay, answer = asyncio.run(_race(chain, msn, part))
        assert answer.next_msn > msn or len(answer.parts) > part  # answered with that part
        delays.append(delay)
    delays.sort()
    assert delays[len(delays) // 2] < 1.0, delays  # a part or so behind (0.5 s parts)


def test_the_preload_hinted_part_blocks_on_the_edge(chain: Chain) -> None:
    pl = wait_for(lambda: has_parts(chain.edge.url), 10, "edge parts")
    assert pl.hint is not None
    m = re.search(r"part(\d+)\.m4s$", pl.hint)
    assert m is not None
    number = int(m.group(1))
    later = pl.hint.replace(f"part{number}.", f"part{number + 2}.")
    assert httpx.get(f"{chain.edge.url}/sender/hls/{SLUG}/{later}").status_code == 404
    got = httpx.get(f"{chain.edge.url}/sender/hls/{SLUG}/{pl.hint}", timeout=10)
    assert got.status_code == 200 and got.headers["content-type"] == "video/iso.segment"
    assert got.content == httpx.get(f"{chain.origin.url}/sender/hls/{SLUG}/{pl.hint}").content


async def _viewer(client: httpx.AsyncClient, base: str, until: float, vsid: str) -> int:
    """An LL-HLS player's loop: blocking reload for the next part, then fetch that part."""
    done = 0
    url = f"{base}/sender/hls/{SLUG}/live.m3u8?vsid={vsid}"
    pl = parse_media_playlist((await client.get(url)).text)
    while time.monotonic() < until:
        r = await client.get(f"{url}&_HLS_msn={pl.next_msn}&_HLS_part={len(pl.parts)}")
        pl = parse_media_playlist(r.text)
        if pl.parts:  # (on a loaded machine it may have left the window: not checked here)
            await client.get(f"{base}/sender/hls/{SLUG}/{pl.parts[-1].uri}")
        done += 1
    return done


async def _crowd(base: str, vsids: list[str], seconds: float) -> list[int]:
    limits = httpx.Limits(max_connections=2 * len(vsids))
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        until = time.monotonic() + seconds
        return await asyncio.gather(*(_viewer(client, base, until, v) for v in vsids))


def test_one_upstream_wait_per_rendition_however_many_viewers(chain: Chain) -> None:
    before = upstream_playlist_requests(chain.edge)
    began = time.monotonic()
    reloads = asyncio.run(_crowd(chain.edge.url, [f"viewer-{i:04d}" for i in range(40)], 3.0))
    elapsed = time.monotonic() - began
    upstream = upstream_playlist_requests(chain.edge) - before
    assert min(reloads) >= 1 and sum(reloads) >= 80  # blocking reloads, part after part
    # about one blocking reload upstream per part (0.5 s) and a few more: never per viewer
    assert upstream <= elapsed / 0.5 * 2 + 4, (upstream, sum(reloads))


def test_viewers_are_counted_once_with_blocking_reloads_and_parts(chain: Chain) -> None:
    def started() -> float:
        text = scrape.scrape(chain.edge.url)
        name = "sender_edge_viewer_sessions_started_total"
        return scrape.value(text, name, endpoint=SLUG) or 0.0

    before = started()
    asyncio.run(_crowd(chain.edge.url, ["solo-viewer-1"], 2.0))
    assert started() == before + 1  # many blocking reloads and parts: one viewer
    asyncio.run(_crowd(chain.edge.url, ["solo-viewer-1"], 1.0))
    assert started() == before + 1  # the same vsid again: still that viewer


def test_blocking_requests_too_far_ahead_or_malformed_are_400(chain: Chain) -> None:
    pl = wait_for(lambda: has_parts(chain.edge.url), 10, "edge parts")
    for query in (f"?_HLS_msn={pl.next_msn + 5}", "?_HLS_msn=x", "?_HLS_part=1"):
        r = httpx.get(f"{chain.edge.url}/sender/hls/{SLUG}/live.m3u8{query}", timeout=5)
        assert r.status_code == 400 and r.json()["detail"], query


def test_a_chained_edge_serves_the_same_ll_hls_and_ffmpeg_plays_it(chain: Chain) -> None:
    first = wait_for(lambda: has_parts(chain.edge.url), 10, "edge parts")
    second = wait_for(lambda: has_parts(chain.chained.url), 10, "chained parts")
    mine = {s.msn: (s.uri, s.map_uri) for s in second.segments}
    assert any(mine.get(s.msn) == (s.uri, s.map_uri) for s in first.segments)
    playlist = f"{chain.chained.url}/sender/hls/{SLUG}/live.m3u8"
    probe = ffprobe(playlist, "-show_entries", "stream=codec_type")
    kinds = {s["codec_type"] for s in probe["streams"]}
    assert kinds == {"video", "audio"}


def test_a_plain_upstream_is_mirrored_as_whole_segments(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin", settings={"hls_low_latency": False})
    edge = start_edge(tmp_path / "edge", origin.url)
    pub = start_live_endpoint(origin, SLUG)
    try:
        start_session(edge, SLUG)

        def mirrored() -> MediaPlaylist | None:
            pl = playlist(edge.url)
            return pl if pl is not None and len(pl.segments) >= 2 else None

        pl = wait_for(mirrored, 30, "segments on the edge")
        assert not pl.low_latency and not pl.parts and pl.hint is None
        seg = pl.segments[-1]
        assert seg.map_uri is not None
        for uri in (seg.uri, seg.map_uri):
            mine = httpx.get(f"{edge.url}/sender/hls/{SLUG}/{uri}", timeout=5)
            assert mine.content == httpx.get(f"{origin.url}/sender/hls/{SLUG}/{uri}").content
        # a blocking request on a plain edge is answered at once, without parts
        r = httpx.get(f"{edge.url}/sender/hls/{SLUG}/live.m3u8?_HLS_msn={pl.next_msn}")
        assert r.status_code == 200 and "#EXT-X-PART" not in r.text
    finally:
        stop_publisher(pub)
        edge.stop()
        origin.stop()
