"""Edge DVR figures: pull-through of older segments, and DVR playlist requests per viewer.

A real origin, a real edge and a real ffmpeg publisher on 127.0.0.1. The endpoint (DVR on)
is published for `--seconds`; the edge's session then starts, so every segment before its
live window is pulled through on first request. Prints the median and p95 time of the first
request of those segments (pulled from the origin, written to the spool) and of the second
(from the edge's spool), and the edge's upstream DVR playlist requests while `--viewers`
players reload `dvr.m3u8` every 0.5 s for 5 s (the same load on the origin for comparison:
with one Python load process the client, not the server, bounds the request count).

    .venv/bin/python bench/edge_dvr.py [--seconds 30] [--viewers 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sender_common.hls.playlist.parse import parse_media_playlist
from tests import procs, scrape
from tests.edge.helpers import sequences, start_edge, start_session
from tests.waiting import wait_for

SLUG = "bench-dvr"


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def _requests(edge: procs.Proc, kind: str) -> float:
    found = scrape.value(scrape.scrape(edge.url), "sender_edge_upstream_requests_total", kind=kind)
    return found or 0.0


async def _viewers(url: str, viewers: int, seconds: float) -> tuple[int, int]:
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=viewers)) as c:

        async def one() -> tuple[int, int]:
            ok = other = 0
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                r = await c.get(url)
                ok, other = (ok + 1, other) if r.status_code == 200 else (ok, other + 1)
                await asyncio.sleep(0.5)
            return ok, other

        done = await asyncio.gather(*(one() for _ in range(viewers)))
        return sum(d[0] for d in done), sum(d[1] for d in done)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--viewers", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        origin = procs.start_origin(Path(tmp) / "origin")
        edge = start_edge(Path(tmp) / "edge", None)
        try:
            key = procs.create_endpoint(origin.url, SLUG, dvr_window_seconds=600)
            pub = procs.publish(procs.rtmp_url(origin, key), duration=args.seconds)
            pub.wait(args.seconds + 60)
            dvr_url = f"{origin.url}/sender/hls/{SLUG}/dvr.m3u8"

            def ended() -> str | None:
                body = httpx.get(dvr_url, timeout=5).text
                return body if "#EXT-X-ENDLIST" in body else None

            text = wait_for(ended, 30, "the DVR playlist to end")
            start_session(edge, SLUG, upstream_url=origin.url)
            live = wait_for(lambda: sequences(edge.url, SLUG), 20, "the edge live")
            old = [s.uri for s in parse_media_playlist(text).segments if s.uri not in live]
            first: list[float] = []
            second: list[float] = []
            with httpx.Client(timeout=10) as client:
                for uri in old:
                    for times in (first, second):
                        began = time.perf_counter()
                        r = client.get(f"{edge.url}/sender/hls/{SLUG}/{uri}")
                        times.append(time.perf_counter() - began)
                        assert r.status_code == 200, (uri, r.status_code)
            print(f"{len(old)} older segments: first request (pull-through) {_ms(first)}")
            print(f"{len(old)} older segments: second request (edge spool) {_ms(second)}")
            before = _requests(edge, "dvr_playlist")
            url = f"{edge.url}/sender/hls/{SLUG}/dvr.m3u8"
            served, failed = asyncio.run(_viewers(url, args.viewers, 5.0))
            upstream = _requests(edge, "dvr_playlist") - before
            print(
                f"{args.viewers} viewers reloading dvr.m3u8 for 5 s: {served} answered 200, "
                f"{failed} other, {upstream:.0f} upstream DVR playlist requests"
            )
            served, failed = asyncio.run(_viewers(dvr_url, args.viewers, 5.0))
            print(f"the same against the origin: {served} answered 200, {failed} other")
        finally:
            edge.stop()
            origin.stop()


if __name__ == "__main__":
    main()
