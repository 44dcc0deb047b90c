"""SRT ingest: CPU per passthrough stream (against RTMP in the same run) and many concurrent
SRT publishers without a dropped segment.

A real origin on 127.0.0.1 and real ffmpeg publishers (320x180 test pattern, 15 fps,
ultrafast x264 + AAC, 1 s keyframes, 1 s segments).

1. CPU: one SRT publisher for `--seconds`, then one RTMP publisher for as long; the origin's
   own CPU time (ingest, packaging, serving) and its remuxing ffmpeg's, as % of one core.
2. Concurrency: `--publishers` SRT publishers at once for `--seconds`; every endpoint's
   playlist is read twice a second and each segment number recorded. Prints, per endpoint,
   segments seen, gaps in the numbering (dropped segments), discontinuities and ffmpeg
   restarts; and the origin's CPU for all of them.

    .venv/bin/python bench/srt_ingest.py [--seconds 20] [--publishers 8]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import procs, scrape
from tests.origin.ingest.srt_caller import free_udp_port
from tests.waiting import wait_for

SEG = re.compile(r"seg(\d+)\.m4s")


def family_cpu(origin: procs.Proc) -> tuple[float, float]:
    """CPU of the origin process alone, and of it with its ffmpegs (live or reaped)."""
    return procs.cpu_seconds(origin.pid), procs.cpu_seconds(origin.pid, children=True)


def measure(
    origin: procs.Proc, urls: list[str], seconds: float, slugs: list[str]
) -> dict[str, Any]:
    """Publish to `urls` for `seconds` (after the streams are live); CPU and segments seen."""
    pubs = [procs.publish(url) for url in urls]
    seen: dict[str, set[int]] = {s: set() for s in slugs}
    disc = dict.fromkeys(slugs, False)
    try:
        for slug in slugs:
            wait_for(partial(read, origin, slug, seen, disc), 30, f"{slug} live")
        before = family_cpu(origin)
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            for slug in slugs:
                read(origin, slug, seen, disc)
            time.sleep(0.5)
        after = family_cpu(origin)
        wall = time.monotonic() - start
    finally:
        for p in pubs:
            procs.stop_publisher(p)
    own = after[0] - before[0]
    kids = after[1] - before[1] - own
    return {"wall": wall, "origin": own, "ffmpeg": kids, "seen": seen, "disc": disc}


def read(origin: procs.Proc, slug: str, seen: dict[str, set[int]], disc: dict[str, bool]) -> bool:
    r = httpx.get(f"{origin.url}/sender/hls/{slug}/live.m3u8", timeout=5)
    if r.status_code != 200:
        return False
    numbers = [int(n) for n in SEG.findall(r.text)]
    seen[slug].update(numbers)
    disc[slug] = disc[slug] or "#EXT-X-DISCONTINUITY" in r.text
    return bool(numbers)


def gaps(numbers: set[int]) -> int:
    return (max(numbers) - min(numbers) + 1 - len(numbers)) if numbers else 0


def pct(cpu: float, wall: float) -> str:
    return f"{cpu / wall * 100:.1f}%"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--publishers", type=int, default=8)
    args = ap.parse_args()
    srt_port = free_udp_port()
    with tempfile.TemporaryDirectory() as tmp:
        origin = procs.start_origin(
            Path(tmp) / "origin",
            settings={"srt_port": srt_port, "reconnect_grace_seconds": 0},
        )
        try:
            keys = {}
            for slug in ["one-srt", "one-rtmp", *(f"srt{i}" for i in range(args.publishers))]:
                keys[slug] = procs.create_endpoint(origin.url, slug)

            def srt(slug: str) -> str:
                return (
                    f"srt://127.0.0.1:{srt_port}?streamid=publish:live/{keys[slug]}&latency=200000"
                )

            print(f"one stream, {args.seconds:g} s each (CPU as % of one core):")
            for proto, slug, url in (
                ("SRT ", "one-srt", srt("one-srt")),
                ("RTMP", "one-rtmp", procs.rtmp_url(origin, keys["one-rtmp"])),
            ):
                m = measure(origin, [url], args.seconds, [slug])
                both = pct(m["origin"] + m["ffmpeg"], m["wall"])
                print(
                    f"  {proto}: origin {pct(m['origin'], m['wall'])}, remuxing ffmpeg "
                    f"{pct(m['ffmpeg'], m['wall'])}, together {both}"
                    f"; {len(m['seen'][slug])} segments, {gaps(m['seen'][slug])} missing"
                )
            slugs = [f"srt{i}" for i in range(args.publishers)]
            m = measure(origin, [srt(s) for s in slugs], args.seconds, slugs)
            total = m["origin"] + m["ffmpeg"]
            print(f"{args.publishers} SRT publishers at once for {args.seconds:g} s:")
            for slug in slugs:
                numbers = m["seen"][slug]
                print(
                    f"  {slug}: {len(numbers)} segments, {gaps(numbers)} missing, "
                    f"discontinuity {'yes' if m['disc'][slug] else 'no'}"
                )
            restarts = scrape.value(
                scrape.scrape(origin.url), "sender_origin_ffmpeg_restarts_total"
            )
            print(
                f"  origin {pct(m['origin'], m['wall'])} + remuxing ffmpegs "
                f"{pct(m['ffmpeg'], m['wall'])} = {pct(total, m['wall'])} "
                f"({pct(total / args.publishers, m['wall'])} per stream); "
                f"ffmpeg restarts {'?' if restarts is None else f'{restarts:g}'}; "
                f"dropped segments {sum(gaps(m['seen'][s]) for s in slugs)}"
            )
        finally:
            origin.stop()


if __name__ == "__main__":
    main()
