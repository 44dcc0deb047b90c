"""WHEP playback from an edge: chromium decodes the stream the edge gets over one upstream
feed, however many viewers it has; its sessions are counted as the edge's viewers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser

from tests import scrape
from tests.procs import (
    Proc,
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    start_role,
    stop_publisher,
    stream_state,
)
from tests.waiting import wait_for, wait_for_async
from tests.webrtc.browser_whep import close_whep, open_whep, stats
from tests.webrtc.client import run_async, watch

pytestmark = pytest.mark.slow
SLUG = "wedge"


@dataclass
class Pair:
    origin: Proc
    edge: Proc


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("whep-edge")
    origin = start_origin(root / "origin")
    edge = None
    try:
        # at DEBUG the edge's HTTP client logs each upstream request (counted below)
        edge = start_role(
            "edge",
            root / "edge",
            settings={"upstream_url": origin.url, "count_localhost": True, "log_level": "DEBUG"},
        )
        publisher = publish(rtmp_url(origin, create_endpoint(origin.url, SLUG)))
        wait_for(lambda: stream_state(origin.url, SLUG) == "live", 30, "stream live")
        yield Pair(origin, edge)
        stop_publisher(publisher)
    finally:
        if edge is not None:
            edge.stop()
        origin.stop()


def test_chromium_plays_over_whep_from_the_edge(pair: Pair, chromium_browser: Browser) -> None:
    page = chromium_browser.new_page()
    try:
        page.goto(f"{pair.edge.url}/healthz")
        assert open_whep(page, f"{pair.edge.url}/sender/whep/{SLUG}") == 201
        seen = wait_for(lambda: (s := stats(page)).get("framesDecoded", 0) > 30 and s, 30, "frames")
        wait_for(lambda: stats(page)["time"] > seen["time"] + 1, 20, "currentTime advancing")

        def counted() -> bool:
            text = scrape.scrape(pair.edge.url)
            return (scrape.value(text, "sender_edge_active_viewers", endpoint=SLUG) or 0) >= 1

        wait_for(counted, 10, "the session counted as an edge viewer")
        assert close_whep(page) == 200
    finally:
        page.close()


def test_many_viewers_share_one_upstream_feed(pair: Pair) -> None:
    url = f"{pair.edge.url}/sender/whep/{SLUG}"

    async def run() -> list[int]:
        async with httpx.AsyncClient(timeout=10) as client:
            viewers = [await watch(client, url) for _ in range(3)]
            try:

                def all_play() -> bool:
                    return all(v.frames["video"] > 10 for v in viewers)

                await wait_for_async(all_play, 30, "frames on every viewer")
                return [v.frames["video"] for v in viewers]
            finally:
                for v in viewers:
                    await v.close(client)

    assert all(n > 10 for n in run_async(run))
    edge_log = pair.edge.log()  # the edge's client logs each upstream request it makes
    assert edge_log.count(f"/sender/whep/{SLUG}/feed") == 1, edge_log[-2000:]
