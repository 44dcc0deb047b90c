"""Edge figures: mirror lag and segment-serving throughput against nginx.

1. Lag: a real origin, a real edge and a real ffmpeg publisher on 127.0.0.1. For each new
   segment, the time from its appearance in the origin's live playlist to its being served by
   the edge (playlist lists it and the segment answers 200). Prints median and p95
   (goal: median <= 1 s).
2. Throughput: wrk (32 connections, bounded run) against one mirrored segment served by the
   edge, and against nginx (sendfile, 1 worker) serving the same file from the same spool.
   Prints req/s and the ratio edge/nginx (goal >= 0.5). Needs Debian's nginx and wrk.

    .venv/bin/python bench/edge.py [--segments 15] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.nginx_ref import nginx_serving, wrk_rate
from tests import procs
from tests.edge.helpers import start_edge, start_live_endpoint, start_session


def uris(base: str, slug: str) -> list[str]:
    r = httpx.get(f"{base}/sender/hls/{slug}/live.m3u8", timeout=2)
    if r.status_code != 200:
        return []
    return [ln for ln in r.text.splitlines() if ln and not ln.startswith("#")]


def measure_lag(origin: procs.Proc, edge: procs.Proc, slug: str, count: int) -> list[float]:
    seen_origin: dict[str, float] = {}
    lags: list[float] = []
    done: set[str] = set(uris(origin.url, slug))
    deadline = time.monotonic() + count * float(procs.SEGMENT_SECONDS) * 3 + 30
    with httpx.Client(timeout=2) as c:
        while len(lags) < count and time.monotonic() < deadline:
            now = time.monotonic()
            for u in uris(origin.url, slug):
                if u not in done and u not in seen_origin:
                    seen_origin[u] = now
            for u in uris(edge.url, slug):
                if u in seen_origin and u not in done:
                    if c.get(f"{edge.url}/sender/hls/{slug}/{u}").status_code == 200:
                        lags.append(time.monotonic() - seen_origin[u])
                        done.add(u)
            time.sleep(0.02)
    return lags


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=15)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    procs.SEGMENT_SECONDS = "2"
    with tempfile.TemporaryDirectory() as tmp:
        origin = procs.start_origin(Path(tmp) / "origin")
        edge = start_edge(Path(tmp) / "edge", origin.url)
        pub = start_live_endpoint(origin, "bench")
        try:
            start_session(edge, "bench", upstream_url=origin.url)
            procs.wait_for(lambda: len(uris(edge.url, "bench")) >= 1, 30, "edge mirroring")
            lags = measure_lag(origin, edge, "bench", args.segments)
            lags.sort()
            p95 = lags[min(len(lags) - 1, round(0.95 * (len(lags) - 1)))]
            print(
                f"edge lag over {len(lags)} segments: median {statistics.median(lags):.3f} s,"
                f" p95 {p95:.3f} s (goal: median <= 1 s)"
            )
            seg = uris(edge.url, "bench")[-1]
            spool = Path(tmp) / "edge" / "spool"
            url = f"{edge.url}/sender/hls/bench/{seg}"
            stable = spool / "bench" / seg
            copy = Path(tmp) / "ref" / "bench" / seg
            copy.parent.mkdir(parents=True)
            shutil.copy(stable, copy)  # the live window moves on; nginx gets a fixed copy
            if shutil.which("nginx") is None or shutil.which("wrk") is None:
                print("nginx or wrk missing: throughput comparison skipped")
                return
            procs.stop_publisher(pub)  # no encoding competing for the two cores during wrk
            # and a 540 KB segment, the size of a 2 s segment at about 2 Mbit/s
            big = "9999/src/seg_00001.ts"
            body = os.urandom(540_000)
            for root in (spool / "bench", Path(tmp) / "ref" / "bench"):
                (root / big).parent.mkdir(parents=True, exist_ok=True)
                (root / big).write_bytes(body)
            with nginx_serving(Path(tmp) / "ref") as ngx:
                for rel, edge_url in ((seg, url), (big, f"{edge.url}/sender/hls/bench/{big}")):
                    ref = wrk_rate(f"{ngx}/bench/{rel}", args.seconds)
                    got = wrk_rate(edge_url, args.seconds)
                    ref2 = wrk_rate(f"{ngx}/bench/{rel}", args.seconds)
                    size = (Path(tmp) / "ref" / "bench" / rel).stat().st_size
                    nginx_rate = (ref + ref2) / 2
                    print(
                        f"segment of {size} bytes: nginx {nginx_rate:.0f} req/s, "
                        f"edge {got:.0f} req/s, ratio edge/nginx {got / nginx_rate:.3f} "
                        "(goal >= 0.5)"
                    )
        finally:
            procs.stop_publisher(pub)
            edge.stop()
            origin.stop()


if __name__ == "__main__":
    main()
