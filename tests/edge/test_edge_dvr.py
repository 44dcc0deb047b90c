"""DVR on a real edge: the origin's DVR playlist passed through, older media pulled on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sender_common.hls.playlist.parse import parse_media_playlist
from sender_common.hls.playlist.segments import LiveSegment
from tests import scrape
from tests.edge.helpers import sequences, start_edge, start_session
from tests.procs import Proc, create_endpoint, publish, rtmp_url
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
SLUG = "rewind-edge"


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Proc]:
    proc = start_edge(tmp_path / "edge", None)  # no default upstream: no on-demand sessions
    yield proc
    proc.stop()


def upstream_requests(edge: Proc, kind: str) -> float:
    text = scrape.scrape(edge.url)
    return scrape.value(text, "sender_edge_upstream_requests_total", kind=kind) or 0.0


def dvr_text(base: str) -> str | None:
    r = httpx.get(f"{base}/sender/hls/{SLUG}/dvr.m3u8", timeout=5)
    return r.text if r.status_code == 200 else None


async def _get_many(url: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=10) as client:
        return list(await asyncio.gather(*(client.get(url) for _ in range(n))))


@pytest.fixture(scope="module")
def recorded(origin: Proc) -> str:
    """12 s of `SLUG` published on the origin (DVR on), at 4x real time (the recording is the
    same 1 s segments, sooner); returns its ended DVR playlist."""
    key = create_endpoint(origin.url, SLUG, dvr_window_seconds=600)
    pub = publish(rtmp_url(origin, key), duration=12, readrate=4)
    assert pub.wait(60) == 0

    def ended() -> str | None:
        text = dvr_text(origin.url)
        return text if text and "#EXT-X-ENDLIST" in text else None

    found: str = wait_for(ended, 30, "the origin's DVR playlist to end")
    return found


def old_segments(edge: Proc, dvr_text_: str) -> list[LiveSegment]:
    """The DVR window's segments that are not in the edge's live window."""
    live = wait_for(lambda: sequences(edge.url, SLUG), 20, "the edge's live window")
    return [s for s in parse_media_playlist(dvr_text_).segments if s.uri not in live]


def test_edge_serves_dvr_by_pull_through(origin: Proc, edge: Proc, recorded: str) -> None:
    hls = f"{edge.url}/sender/hls/{SLUG}"
    # no session on the edge yet: 404, and nothing asked upstream
    assert httpx.get(f"{hls}/dvr.m3u8", timeout=5).status_code == 404
    assert httpx.get(f"{hls}/1/src/seg0.m4s", timeout=5).status_code == 404
    assert upstream_requests(edge, "dvr_playlist") == upstream_requests(edge, "dvr_file") == 0

    origin_dvr = recorded
    start_session(edge, SLUG, upstream_url=origin.url)
    old = old_segments(edge, origin_dvr)
    assert dvr_text(edge.url) == origin_dvr  # passed through as is
    assert upstream_requests(edge, "dvr_playlist") == 1
    burst = asyncio.run(_get_many(f"{hls}/dvr.m3u8", 10))  # cached: ~1 upstream request
    assert all(r.status_code == 200 and r.text == origin_dvr for r in burst)
    assert upstream_requests(edge, "dvr_playlist") <= 2
    # the edge's player metadata offers the rewind the upstream keeps
    playback = httpx.get(f"{edge.url}/api/v1/playback/{SLUG}", timeout=5).json()
    assert playback["dvr_url"] == f"/sender/hls/{SLUG}/dvr.m3u8"
    assert playback["dvr_window_seconds"] > 5

    assert len(old) >= 3, old
    spool = edge.data_dir / "spool" / SLUG
    first, second = old[0], old[1]
    assert not (spool / first.uri).exists()

    up = httpx.get(f"{origin.url}/sender/hls/{SLUG}/{first.uri}", timeout=5)
    down = httpx.get(f"{hls}/{first.uri}", timeout=5)
    assert down.status_code == 200 and down.content == up.content
    assert down.headers["content-type"] == "video/iso.segment"
    assert (spool / first.uri).read_bytes() == up.content  # kept in the edge's spool
    assert upstream_requests(edge, "dvr_file") == 1
    again = httpx.get(f"{hls}/{first.uri}", timeout=5)
    assert again.content == up.content
    assert upstream_requests(edge, "dvr_file") == 1  # served from the spool

    assert first.map_uri is not None
    init_up = httpx.get(f"{origin.url}/sender/hls/{SLUG}/{first.map_uri}", timeout=5)
    init_down = httpx.get(f"{hls}/{first.map_uri}", timeout=5)
    assert init_down.status_code == 200 and init_down.content == init_up.content

    # concurrent first requests for one segment share one upstream fetch
    before = upstream_requests(edge, "dvr_file")
    many = asyncio.run(_get_many(f"{hls}/{second.uri}", 8))
    second_up = httpx.get(f"{origin.url}/sender/hls/{SLUG}/{second.uri}", timeout=5).content
    assert all(r.status_code == 200 and r.content == second_up for r in many)
    assert upstream_requests(edge, "dvr_file") == before + 1


def test_edge_dvr_refuses_bad_paths_without_asking_upstream(origin: Proc, edge: Proc) -> None:
    slug = "rewind-bad"
    create_endpoint(origin.url, slug, dvr_window_seconds=600)
    start_session(edge, slug, upstream_url=origin.url)
    hls = f"{edge.url}/sender/hls/{slug}"
    with httpx.Client(timeout=5) as client:
        for path, status in [
            ("1/src/%2e%2e/seg1.m4s", 400),
            ("1/src/..%2fseg1.m4s", 400),
            ("1/src/seg1.ts", 404),
            ("1/src/evil.m4s", 404),
            ("x1/src/seg1.m4s", 404),
            ("1/src/seg1.m4s.mp4", 404),
            ("1/seg1.m4s", 404),
            ("1/a/b/seg1.m4s", 404),
            ("dvrx.m3u8", 404),
            ("dvr/a/b.m3u8", 404),
        ]:
            r = client.get(f"{hls}/{path}")
            assert r.status_code == status, (path, r.status_code)
            assert "detail" in r.json()
    assert upstream_requests(edge, "dvr_file") == 0
    assert upstream_requests(edge, "dvr_playlist") == 0
    # well-formed but absent upstream (nothing published): 404 from the upstream
    assert httpx.get(f"{hls}/1/src/seg3.m4s", timeout=5).status_code == 404
    assert httpx.get(f"{hls}/dvr.m3u8", timeout=5).status_code == 404
    assert upstream_requests(edge, "dvr_file") == 1
    assert upstream_requests(edge, "dvr_playlist") == 1


def test_pulled_files_leave_the_spool_after_retention(
    origin: Proc, recorded: str, tmp_path: Path
) -> None:
    env = {"hls_retention_seconds": 2, "retention_check_seconds": 0.3}
    edge = start_edge(tmp_path / "edge", None, settings=env)
    try:
        start_session(edge, SLUG, upstream_url=origin.url)
        first = old_segments(edge, recorded)[0]
        url = f"{edge.url}/sender/hls/{SLUG}/{first.uri}"
        kept = edge.data_dir / "spool" / SLUG / first.uri
        assert httpx.get(url, timeout=5).status_code == 200 and kept.is_file()
        wait_for(lambda: not kept.exists(), 10, "the pulled segment to pass its retention")
        assert sequences(edge.url, SLUG)  # the live window is untouched
        assert httpx.get(url, timeout=5).status_code == 200  # pulled through again
        assert upstream_requests(edge, "dvr_file") == 2
    finally:
        edge.stop()
