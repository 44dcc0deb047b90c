"""Publish-to-first-playable latency of the origin.

Starts a real origin on 127.0.0.1, then several times: create an endpoint, start a real
ffmpeg publisher, and time until the live playlist lists a segment that can be fetched.
Prints each run, the median, and its ratio to the segment duration (goal: <= 1.5x).

    .venv/bin/python bench/origin_latency.py [--runs 5] [--segment-seconds 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import procs


def first_playable(origin: procs.Proc, slug: str, deadline: float) -> float:
    url = f"{origin.url}/sender/hls/{slug}/live.m3u8"
    while time.monotonic() < deadline:
        r = httpx.get(url, timeout=2)
        if r.status_code == 200:
            uris = [ln for ln in r.text.splitlines() if ln and not ln.startswith("#")]
            if uris and httpx.get(f"{origin.url}/sender/hls/{slug}/{uris[0]}").status_code == 200:
                return time.monotonic()
        time.sleep(0.02)
    raise SystemExit("no playable segment before the deadline")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--segment-seconds", type=float, default=2.0)
    args = ap.parse_args()
    procs.SEGMENT_SECONDS = f"{args.segment_seconds:g}"
    with tempfile.TemporaryDirectory() as tmp:
        origin = procs.start_origin(Path(tmp) / "origin")
        results = []
        try:
            for i in range(args.runs):
                key = procs.create_endpoint(origin.url, f"lat{i}")
                t0 = time.monotonic()
                pub = procs.publish(procs.rtmp_url(origin, key))
                try:
                    t1 = first_playable(origin, f"lat{i}", t0 + 30)
                finally:
                    procs.stop_publisher(pub)
                results.append(t1 - t0)
                print(f"run {i + 1}: {t1 - t0:.2f} s")
        finally:
            origin.stop()
    med = statistics.median(results)
    print(f"publish-to-first-playable median: {med:.2f} s over {len(results)} runs")
    print(
        f"ratio to segment duration ({args.segment_seconds:g} s): {med / args.segment_seconds:.2f}x"
        " (goal <= 1.5x)"
    )


if __name__ == "__main__":
    main()
