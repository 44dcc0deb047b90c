"""Segment durations and TARGETDURATION behind an RTMP publish of a still picture (issue #11).

Starts a real origin on 127.0.0.1, publishes a gray 320x180 30 fps picture with a 2 s GOP
and AAC silence over RTMP (type-3 new-message chunk headers), polls the HTTP live.m3u8 and
prints every EXTINF and TARGETDURATION seen. Run it with another checkout's venv to compare.

    .venv/bin/python bench/rtmp_segments.py [--seconds 60] [--realtime] [--segment-seconds 2]
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import procs
from tests.origin.ingest.media import still_argv


def poll(url: str, durations: dict[str, float], targets: set[int]) -> bool:
    """Record the playlist's segments; True once it has ENDLIST."""
    r = httpx.get(url, timeout=5)
    if r.status_code != 200:
        return False
    extinf = None
    for line in r.text.splitlines():
        if line.startswith("#EXT-X-TARGETDURATION:"):
            targets.add(int(line.split(":", 1)[1]))
        elif line.startswith("#EXTINF:"):
            extinf = float(line[8:].split(",", 1)[0])
        elif line and not line.startswith("#") and extinf is not None:
            durations[line] = extinf
    return "#EXT-X-ENDLIST" in r.text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--realtime", action="store_true", help="publish with -re")
    ap.add_argument("--segment-seconds", type=float, default=2.0)
    args = ap.parse_args()
    procs.SEGMENT_SECONDS = f"{args.segment_seconds:g}"
    durations: dict[str, float] = {}  # by URI, in playlist order
    targets: set[int] = set()
    with tempfile.TemporaryDirectory() as tmp:
        origin = procs.start_origin(Path(tmp) / "origin")
        try:
            key = procs.create_endpoint(origin.url, "still")
            argv = still_argv(args.seconds, gop=60)
            if args.realtime:
                argv.insert(1, "-re")
            t0 = time.monotonic()
            pub = procs.spawn(
                [*argv, procs.rtmp_url(origin, key)],
                stdin=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            url = f"{origin.url}/sender/hls/still/live.m3u8"
            deadline = t0 + args.seconds + 60
            while not (poll(url, durations, targets) and pub.poll() is not None):
                if time.monotonic() > deadline:
                    raise SystemExit("no ENDLIST before the deadline")
                time.sleep(0.05)
            wall = time.monotonic() - t0
            procs.stop_publisher(pub)
        finally:
            origin.stop()
    uris = list(durations)
    whole = [durations[u] for u in uris[:-1]]  # the last segment ends with the input
    counts = collections.Counter(f"{d:.3f}" for d in whole)
    print(f"published {args.seconds} s of 2 s-GOP still picture in {wall:.1f} s wall")
    print(f"segments seen: {len(uris)} ({uris[0]} .. {uris[-1]})")
    print(
        "EXTINF of whole segments: " + ", ".join(f"{k} s x{v}" for k, v in sorted(counts.items()))
    )
    print(f"EXT-X-TARGETDURATION seen: {sorted(targets)}")


if __name__ == "__main__":
    main()
