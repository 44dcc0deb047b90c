"""Glass-to-glass latency as a viewer sees it, per target, in headless chromium.

A clock publisher (`latency_clock.py`: raw gray frames carrying the wall-clock milliseconds as
a band of black/white blocks with a sync pattern and a CRC, 30 fps 320x180, paced to real time,
x264 ultrafast/zerolatency with a 2 s GOP plus sine AAC) publishes over RTMP. Debian's chromium
plays each target in two pages, (a) a bare hls.js page (`lowLatencyMode: true`) and (b) the
Sender player page `/sender/player/{endpoint}`; every 500 ms each page draws the frame on
screen to a canvas, decodes the time and records `Date.now() - decoded` (`latency_probe.js`).

Targets run one after the other, each with fresh servers and a fresh publisher. Pages opened
before the publisher starts give publish-to-first-frame; the figures come from fresh pages
that join the stream once it has run WARMUP_SECONDS (a full hls.js hold-back is available):
  origin-ll  the origin with SENDER_HLS_LOW_LATENCY=on
  origin     the origin with SENDER_HLS_LOW_LATENCY=off
  edge       an edge mirroring an origin (both low-latency on)
  edge2      two chained edges: edge2's upstream is edge1, edge1's is the origin
  nginx      nginx + libnginx-mod-rtmp, plain HLS (hls_fragment 2s), hls.js page only
  origin-webrtc  the Sender player page over WebRTC (WHEP) from the origin
  edge-webrtc    the same from an edge (its one upstream feed per stream from the origin)
All Sender roles run with 2 s segments (SENDER_HLS_SEGMENT_SECONDS=2), like nginx's fragments.
Only the public URL space is used: /sender/hls/{endpoint}/live.m3u8 and /sender/player/{endpoint}
(plus the management API to create the endpoint and the edge sessions).

Per page: median and p95 latency, valid and rejected decodes, rebuffers (`waiting` events after
the first `playing`), publish-to-first-frame, join-to-first-frame, and the playlist and media
request rates that one viewer causes (from the page's network events). Per Sender target: CPU
of the origin process and its children (ffmpeg) over the measurement window, one stream on it,
in % of one core.

    .venv/bin/python bench/latency.py [--seconds 60] [--targets origin-ll,origin,edge,edge2,nginx]
                                      [--part-seconds 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.latency_clock import ClockStream, clock_publisher
from bench.latency_viewer import Viewer, browser_context, open_viewer
from bench.nginx_ref import nginx_rtmp_hls
from sender_common.ffmpeg import resolve_ffmpeg
from tests import procs
from tests.edge.helpers import start_edge, start_session

TARGETS = ("origin-ll", "origin", "edge", "edge2", "nginx", "origin-webrtc", "edge-webrtc")
WEBRTC_TARGETS = ("origin-webrtc", "edge-webrtc")
SLUG = "latency"
FIRST_FRAME_TIMEOUT = 60.0
WARMUP_SECONDS = 15.0


@dataclass(frozen=True)
class Target:
    name: str
    base: str
    playlist_path: str
    player_endpoint: str | None
    publish_url: str
    origin_pid: int | None
    transport: str = "hls"  # the player page's: `hls` or `webrtc`


@dataclass(frozen=True)
class Row:
    target: str
    page: str
    samples: list[int]
    valid: int
    rejected: int
    rebuffers: int
    first_frame: float | None
    join: float | None
    playlist_rate: float
    media_rate: float


@contextmanager
def sender_target(name: str, tmp: Path, part_seconds: float | None) -> Iterator[Target]:
    """An origin (and one or two edges) with the endpoint created, nothing published yet."""
    env: dict[str, object] = {"hls_low_latency": name != "origin"}
    if part_seconds is not None:
        env["hls_part_seconds"] = part_seconds
    with ExitStack() as stack:
        origin = procs.start_origin(tmp / "origin", settings=env)
        stack.callback(origin.stop)
        key = procs.create_endpoint(origin.url, SLUG)
        base = origin.url
        if name in ("edge", "edge2", "edge-webrtc"):
            edge1 = start_edge(tmp / "edge1", origin.url, settings=env)
            stack.callback(edge1.stop)
            start_session(edge1, SLUG, upstream_url=origin.url)
            base = edge1.url
            if name == "edge2":
                edge2 = start_edge(tmp / "edge2", edge1.url, settings=env)
                stack.callback(edge2.stop)
                start_session(edge2, SLUG, upstream_url=edge1.url)
                base = edge2.url
        yield Target(
            name,
            base,
            f"/sender/hls/{SLUG}/live.m3u8",
            SLUG,
            procs.rtmp_url(origin, key),
            origin.pid,
            "webrtc" if name in WEBRTC_TARGETS else "hls",
        )


@contextmanager
def nginx_target() -> Iterator[Target]:
    with nginx_rtmp_hls(fragment_seconds=2) as (rtmp, http):
        yield Target("nginx", http, f"/hls/{SLUG}.m3u8", None, f"{rtmp}/{SLUG}", None)


def wait_first_frames(viewers: list[Viewer], alive: Any) -> None:
    """Poll the pages until each has decoded a clock frame (or the deadline passes)."""
    deadline = time.monotonic() + FIRST_FRAME_TIMEOUT
    while time.monotonic() < deadline:
        if all(v.first_frame_ms() is not None for v in viewers):
            return
        if not alive():
            raise RuntimeError("the publisher exited")
        viewers[0].page.wait_for_timeout(100)  # runs playwright's event loop, unlike sleep
    missing = [v.name for v in viewers if v.first_frame_ms() is None]
    print(f"  no first frame within {FIRST_FRAME_TIMEOUT:.0f} s on: {', '.join(missing)}")


def open_pages(target: Target, context: Any) -> list[Viewer]:
    """The bare hls.js page, and the Sender player page when the target serves it; only the
    player page (over WebRTC) for a WebRTC target."""
    if target.transport == "webrtc":
        assert target.player_endpoint is not None
        return [
            open_viewer(
                context,
                "webrtc",
                target.base,
                target.playlist_path,
                target.player_endpoint,
                "webrtc",
            )
        ]
    viewers = [open_viewer(context, "hls.js", target.base, target.playlist_path, None)]
    if target.player_endpoint is not None:
        viewers.append(
            open_viewer(
                context, "player", target.base, target.playlist_path, target.player_endpoint
            )
        )
    return viewers


def run_target(
    target: Target, context: Any, seconds: float, stream: ClockStream
) -> tuple[list[Row], float | None]:
    """Publish with pages waiting (publish-to-first-frame), then measure `seconds` on fresh
    pages that join the running stream; rows and the origin's CPU in % of one core."""
    pages = waiting = open_pages(target, context)
    pub = clock_publisher(resolve_ffmpeg(), target.publish_url, stream)
    try:
        wait_first_frames(waiting, pub.alive)
        firsts = {v.name: v.first_frame_ms() for v in waiting}
        for v in waiting:
            v.page.close()
        # Join once the playlist holds several segments: a page that joins a stream younger
        # than hls.js's hold-back (3 target durations) starts closer to the edge than any
        # later viewer would, and keeps that lower latency.
        while time.time() * 1000 - pub.started_ms < WARMUP_SECONDS * 1000 and pub.alive():
            time.sleep(0.1)
        pages = viewers = open_pages(target, context)
        wait_first_frames(viewers, pub.alive)
        t0, cpu0 = (
            time.monotonic(),
            procs.cpu_seconds(target.origin_pid, children=True) if target.origin_pid else 0.0,
        )
        end = t0 + seconds
        while time.monotonic() < end and pub.alive():
            viewers[0].page.wait_for_timeout(min(1000, max(1, (end - time.monotonic()) * 1000)))
        t1 = time.monotonic()
        cpu = None
        if target.origin_pid is not None:
            cpu = 100 * (procs.cpu_seconds(target.origin_pid, children=True) - cpu0) / (t1 - t0)
        rows = []
        for v in viewers:
            st = v.state()
            first, joined = firsts.get(v.name), st.get("firstFrameAt")
            playlists, media = v.request_rates(t0, t1)
            rows.append(
                Row(
                    target.name,
                    v.name,
                    [int(s) for s in st.get("samples", [])],
                    int(st.get("valid", 0)),
                    int(st.get("rejected", 0)),
                    int(st.get("waiting", 0)),
                    (first - pub.started_ms) / 1000 if first is not None else None,
                    (float(joined) - v.opened_ms) / 1000 if joined is not None else None,
                    playlists,
                    media,
                )
            )
        return rows, cpu
    finally:
        pub.stop()
        for v in pages:
            v.page.close()


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])


def print_table(rows: list[Row], cpu: dict[str, float | None], failed: dict[str, str]) -> None:
    head = (
        f"{'target':<10} {'page':<7} {'median s':>8} {'p95 s':>6} {'valid':>5} {'rej':>4}"
        f" {'rebuf':>5} {'1st frame s':>11} {'join s':>6} {'pl req/s':>8} {'media req/s':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        med = f"{statistics.median(r.samples) / 1000:.2f}" if r.samples else "-"
        p95 = f"{percentile(r.samples, 0.95) / 1000:.2f}" if r.samples else "-"
        first = f"{r.first_frame:.2f}" if r.first_frame is not None else "-"
        join = f"{r.join:.2f}" if r.join is not None else "-"
        print(
            f"{r.target:<10} {r.page:<7} {med:>8} {p95:>6} {r.valid:>5} {r.rejected:>4}"
            f" {r.rebuffers:>5} {first:>11} {join:>6} {r.playlist_rate:>8.2f} {r.media_rate:>11.2f}"
        )
    for name, reason in failed.items():
        print(f"{name:<10} failed: {reason}")
    print("\norigin CPU (origin process + its ffmpeg children, one passthrough stream):")
    for name, value in cpu.items():
        if value is not None:
            print(f"  {name:<10} {value:5.1f} % of one core")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="measurement per target")
    ap.add_argument("--targets", default=",".join(TARGETS), help="comma-separated subset")
    ap.add_argument("--part-seconds", type=float, default=None, help="SENDER_HLS_PART_SECONDS")
    args = ap.parse_args()
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        raise SystemExit(f"--targets: unknown {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    procs.SEGMENT_SECONDS = "2"
    stream = ClockStream()
    from playwright.sync_api import sync_playwright

    rows: list[Row] = []
    cpu: dict[str, float | None] = {}
    failed: dict[str, str] = {}
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser, context = browser_context(pw)
        try:
            for name in names:
                print(f"{name}: measuring {args.seconds:g} s ...", flush=True)
                try:
                    with (
                        nginx_target()
                        if name == "nginx"
                        else sender_target(name, Path(tmp) / name, args.part_seconds)
                    ) as target:
                        got, cpu[name] = run_target(target, context, args.seconds, stream)
                    rows += got
                except Exception as exc:  # one failed target must not lose the others' figures
                    failed[name] = f"{type(exc).__name__}: {exc}"
        finally:
            browser.close()
    print()
    print_table(rows, cpu, failed)


if __name__ == "__main__":
    main()
