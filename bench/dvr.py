"""DVR and recordings: exporting an hour to MP4, rendering a two-hour DVR playlist.

1. Encodes `--minutes` of a 320x180 test pattern (2 s GOP) to an FLV once, publishes it
   into a real origin as fast as ingest takes it (no `-re`) with `record: true`, then
   times `GET /api/v1/endpoints/{slug}/recordings/1.mp4` (ffmpeg `-c copy` from the kept
   CMAF segments) and checks the MP4 with ffprobe. Goal: one hour in <= 30 s.
2. Renders a DVR playlist of two hours of 2 s segments (3,600 entries) and times it;
   reports memory before and after growing the window. Goal: <= 10 ms.

    .venv/bin/python bench/dvr.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sender_common.ffmpeg import resolve_ffmpeg, resolve_ffprobe
from sender_common.hls.playlist.dvr_playlist import DvrEntry, render_dvr
from tests import procs
from tests.waiting import wait_for


def make_source(ffmpeg: str, minutes: float, out: Path) -> None:
    subprocess.run(
        [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", f"{minutes * 60:g}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-keyint_min", "30",
            "-b:v", "200k", "-c:a", "aac", "-b:a", "48k", "-f", "flv", str(out),
        ],
        check=True,
    )  # fmt: skip


def export_bench(minutes: float) -> None:
    ffmpeg = resolve_ffmpeg()
    procs.SEGMENT_SECONDS = "2"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.flv"
        t0 = time.monotonic()
        make_source(ffmpeg, minutes, src)
        print(f"source: {minutes:g} min encoded in {time.monotonic() - t0:.1f} s")
        origin = procs.start_origin(Path(tmp) / "o", settings={"reconnect_grace_seconds": 0})
        try:
            key = procs.create_endpoint(origin.url, "hour", record=True)
            t0 = time.monotonic()
            subprocess.run(
                [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", str(src), "-c", "copy",
                 "-f", "flv", procs.rtmp_url(origin, key)],
                check=True,
            )  # fmt: skip
            url = f"{origin.url}/api/v1/endpoints/hour/recordings"

            def ended() -> list[dict[str, object]] | None:
                rows = httpx.get(url, timeout=10).json()
                return rows if rows and rows[0]["state"] == "ended" else None

            rec = wait_for(ended, 120, "the recording to end")[0]
            print(
                f"ingest: {time.monotonic() - t0:.1f} s; kept {rec['duration_seconds']} s "
                f"in {int(str(rec['size_bytes'])) / 1e6:.1f} MB"
            )
            t0 = time.monotonic()
            resp = httpx.get(f"{origin.url}{rec['export_url']}", timeout=600)
            took = time.monotonic() - t0
            out = Path(tmp) / "export.mp4"
            out.write_bytes(resp.content)
            probe = subprocess.run(
                [resolve_ffprobe(ffmpeg) or "ffprobe", "-v", "error", "-show_entries",
                 "format=duration", "-of", "json", str(out)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            duration = float(json.loads(probe.stdout)["format"]["duration"])
            print(
                f"export: {resp.status_code}, {len(resp.content) / 1e6:.1f} MB, "
                f"{duration:.0f} s of media in {took:.1f} s (goal <= 30 s for an hour)"
            )
            t0 = time.monotonic()
            httpx.get(f"{origin.url}{rec['export_url']}", timeout=600)
            print(f"export again (kept file): {time.monotonic() - t0:.2f} s")
        finally:
            origin.stop()


def render_bench() -> None:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    now = time.time()
    entries = [
        DvrEntry(1_000_000 + i, f"1/src/seg{1_000_000 + i}.m4s", "1/src/init1000000.mp4", 2.0,
                 now - 7200 + 2 * i, 60_000)
        for i in range(3600)
    ]  # fmt: skip
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        text = render_dvr(entries, ended=False)
        times.append(time.perf_counter() - t0)
    cold = times[0]
    times.sort()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"DVR playlist of 2 h (3,600 segments, {len(text) / 1024:.0f} KiB): "
        f"first {cold * 1000:.2f} ms, then median {times[25] * 1000:.2f} ms, "
        f"max {times[-1] * 1000:.2f} ms (goal <= 10 ms); "
        f"index memory {(rss1 - rss0) / 1024:.1f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60)
    args = ap.parse_args()
    render_bench()
    export_bench(args.minutes)


if __name__ == "__main__":
    main()
