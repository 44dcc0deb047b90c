"""Viewer load on one edge: many simulated HLS players, latency and errors, peak RSS.

A real origin, a real edge (mirroring it) and a real ffmpeg publisher on 127.0.0.1. Then
`--viewers` simulated players (default 1,000), spread over `--procs` processes (asyncio and
a lean keep-alive HTTP/1.1 client with a bounded connection pool each), each reloading the
edge's `live.m3u8?vsid=...` once
per segment duration (drift-free, with a random phase) and fetching every new segment, for
`--seconds` (default 60). Prints requests, errors (goal: zero), p50/p99 latency for playlists
and for segments, the edge's CPU time and peak RSS (VmHWM).

Reference: the same viewers, for the same time, against nginx (sendfile, one worker;
`bench/nginx_ref.py`) serving a copy of the edge's spool and playlist under the same paths;
each reload there fetches the newest segment again, so both runs send the same request mix.
Prints edge/nginx latency ratios. `--no-ref` skips it (or it is skipped without nginx).

    .venv/bin/python bench/load.py [--seconds 60] [--viewers 1000] [--procs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.nginx_ref import nginx_serving
from bench.stack import live_origin_and_edge
from tests import procs
from tests.edge.helpers import start_session
from tests.waiting import wait_for

SLUG = "load"
SEGMENT_SECONDS = 2.0


@dataclass
class Stats:
    """What one worker process saw; merged across workers."""

    requests: dict[str, int] = field(default_factory=lambda: {"playlist": 0, "segment": 0})
    errors: dict[str, int] = field(default_factory=lambda: {"playlist": 0, "segment": 0})
    latency_ms: dict[str, list[float]] = field(
        default_factory=lambda: {"playlist": [], "segment": []}
    )
    late_reloads: int = 0
    loop_lag_ms: list[float] = field(default_factory=list)
    bytes: int = 0
    first_errors: list[str] = field(default_factory=list)

    def merge(self, other: Stats) -> None:
        for kind in self.requests:
            self.requests[kind] += other.requests[kind]
            self.errors[kind] += other.errors[kind]
            self.latency_ms[kind] += other.latency_ms[kind]
        self.late_reloads += other.late_reloads
        self.loop_lag_ms += other.loop_lag_ms
        self.bytes += other.bytes
        self.first_errors += other.first_errors[: max(0, 5 - len(self.first_errors))]


class LeanPool:
    """A tiny keep-alive HTTP/1.1 GET client: the load generator must cost far less than the
    server it measures (a general-purpose client tops out well below 1,000 viewers here)."""

    def __init__(self, base: str, size: int) -> None:
        u = urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(size):
            self._idle.put_nowait(None)  # a slot; connected on first use

    async def get(self, path: str) -> tuple[int, bytes]:
        conn = await self._idle.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await asyncio.wait_for(reader.readexactly(length), 30)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            if conn is not None:
                conn[1].close()
            self._idle.put_nowait(None)
            raise
        self._idle.put_nowait(conn)
        return status, body


async def _get(client: LeanPool, url: str, kind: str, stats: Stats) -> str | None:
    stats.requests[kind] += 1
    started = time.perf_counter()
    try:
        status, body = await client.get(url)
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
        stats.errors[kind] += 1
        if len(stats.first_errors) < 5:
            stats.first_errors.append(f"{kind}: {type(exc).__name__} {exc}")
        return None
    stats.latency_ms[kind].append((time.perf_counter() - started) * 1000)
    if status != 200:
        stats.errors[kind] += 1
        if len(stats.first_errors) < 5:
            stats.first_errors.append(f"{kind}: HTTP {status} {url}")
        return None
    stats.bytes += len(body)
    return body.decode("utf-8", "replace") if kind == "playlist" else ""


async def _viewer(
    client: LeanPool,
    vsid: str,
    stop_at: float,
    stats: Stats,
    *,
    refetch_newest: bool,
) -> None:
    """One player: reload every segment duration, fetch what is new (the newest on joining)."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(random.uniform(0, SEGMENT_SECONDS))
    prefix = f"/sender/hls/{SLUG}/"
    seen: set[str] = set()
    due = loop.time()
    while due < stop_at:
        text = await _get(client, f"{prefix}live.m3u8?vsid={vsid}", "playlist", stats)
        if text is not None:
            uris = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
            new = [u for u in uris if u not in seen]
            if not seen or refetch_newest:
                new = uris[-1:]  # a player joins at the live edge
            for uri in new:
                await _get(client, f"{prefix}{uri}?vsid={vsid}", "segment", stats)
            seen.update(uris)
        due += SEGMENT_SECONDS
        now = loop.time()
        if due < now:  # behind schedule: skip rather than burst
            stats.late_reloads += 1
            due = now
        await asyncio.sleep(due - now)


async def _watch_lag(stop_at: float, stats: Stats) -> None:
    """How late this process's event loop wakes up: when it is busy, latencies are ours."""
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        asked = loop.time() + 0.05
        await asyncio.sleep(0.05)
        stats.loop_lag_ms.append((loop.time() - asked) * 1000)


async def _viewers(
    base: str, vsids: list[str], seconds: float, connections: int, refetch_newest: bool
) -> Stats:
    stats = Stats()
    client = LeanPool(base, connections)
    stop_at = asyncio.get_running_loop().time() + seconds
    async with asyncio.TaskGroup() as tg:
        tg.create_task(_watch_lag(stop_at, stats))
        for vsid in vsids:
            tg.create_task(_viewer(client, vsid, stop_at, stats, refetch_newest=refetch_newest))
    return stats


def _worker(
    base: str, vsids: list[str], seconds: float, connections: int, refetch_newest: bool
) -> Stats:
    return asyncio.run(_viewers(base, vsids, seconds, connections, refetch_newest))


def run_load(base: str, args: argparse.Namespace, *, refetch_newest: bool = False) -> Stats:
    """`args.viewers` players against `base` for `args.seconds`, over `args.procs` processes."""
    vsids = [f"load-{i:06d}" for i in range(args.viewers)]
    shards = [vsids[i :: args.procs] for i in range(args.procs)]
    per_proc = max(1, args.connections // args.procs)
    total = Stats()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.procs, mp_context=ctx) as pool:
        futures = [
            pool.submit(_worker, base, shard, args.seconds, per_proc, refetch_newest)
            for shard in shards
        ]
        for fut in futures:
            total.merge(fut.result())
    return total


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _proc_status(pid: int, key: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def report(name: str, stats: Stats, seconds: float) -> None:
    reqs = sum(stats.requests.values())
    errs = sum(stats.errors.values())
    print(
        f"{name}: {reqs} requests ({reqs / seconds:.0f}/s), {errs} errors (goal: 0),"
        f" {stats.bytes / seconds / 1e6:.1f} MB/s, {stats.late_reloads} late reloads"
    )
    for kind in ("playlist", "segment"):
        lat = stats.latency_ms[kind]
        print(
            f"  {kind:8s} {stats.requests[kind]:7d} req, {stats.errors[kind]} errors,"
            f" p50 {_pct(lat, 50):7.1f} ms, p99 {_pct(lat, 99):7.1f} ms"
        )
    lag = stats.loop_lag_ms
    print(
        f"  load generator loop lag: p99 {_pct(lag, 99):.1f} ms, max {max(lag, default=0):.1f} ms"
    )
    for line in stats.first_errors:
        print(f"  error: {line}")


def _copy_for_nginx(edge: procs.Proc, root: Path) -> None:
    """The edge's spool and its current playlist, under the URL paths the edge serves."""
    dest = root / "sender" / "hls" / SLUG
    shutil.copytree(edge.data_dir / "spool" / SLUG, dest)
    playlist = httpx.get(f"{edge.url}/sender/hls/{SLUG}/live.m3u8", timeout=5).text
    (dest / "live.m3u8").write_text(playlist)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--viewers", type=int, default=1000)
    ap.add_argument("--procs", type=int, default=2, help="load-generating processes")
    ap.add_argument("--connections", type=int, default=256, help="total client connections")
    ap.add_argument("--no-ref", action="store_true", help="skip the nginx reference run")
    args = ap.parse_args()
    procs.SEGMENT_SECONDS = f"{SEGMENT_SECONDS:g}"
    with tempfile.TemporaryDirectory() as tmp:
        with live_origin_and_edge(Path(tmp), SLUG) as (_, edge):
            start_session(edge, SLUG)
            wait_for(
                lambda: httpx.get(f"{edge.url}/sender/hls/{SLUG}/live.m3u8").status_code == 200,
                30,
                "the edge serving the stream",
            )
            print(
                f"{args.viewers} viewers, {args.procs} processes, {args.connections} connections,"
                f" reload every {SEGMENT_SECONDS:g} s, {args.seconds:g} s"
            )
            cpu0 = procs.cpu_seconds(edge.pid)
            edge_stats = run_load(edge.url, args)
            cpu = procs.cpu_seconds(edge.pid) - cpu0
            report("edge", edge_stats, args.seconds)
            reqs = sum(edge_stats.requests.values())
            print(
                f"  edge CPU {cpu:.1f} s ({cpu / args.seconds * 100:.0f}% of a core,"
                f" {cpu / max(reqs, 1) * 1e6:.0f} us/request);"
                f" peak RSS (VmHWM) {_proc_status(edge.pid, 'VmHWM')}"
            )
            if args.no_ref or shutil.which("nginx") is None:
                print("nginx reference skipped")
                return
            root = Path(tmp) / "ref"
            _copy_for_nginx(edge, root)
            with nginx_serving(root) as ngx:
                ref = run_load(ngx, args, refetch_newest=True)
            report("nginx", ref, args.seconds)
            for kind in ("playlist", "segment"):
                ours, theirs = edge_stats.latency_ms[kind], ref.latency_ms[kind]
                print(
                    f"  ratio edge/nginx {kind}: p50 {_pct(ours, 50) / _pct(theirs, 50):.2f},"
                    f" p99 {_pct(ours, 99) / _pct(theirs, 99):.2f}"
                )


if __name__ == "__main__":
    main()
