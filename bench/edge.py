"""Edge figures: mirror lag, LL-HLS through the edge, LL-HLS viewers per edge core, nginx.

1. Lag: a real origin, a real edge and a real ffmpeg publisher on 127.0.0.1. For each new
   segment, the time from its appearance in the origin's live playlist to its being served by
   the edge (playlist lists it and the segment answers 200). Prints median and p95
   (goal: median <= 1 s).
2. LL-HLS part lag: the same blocking reload (`_HLS_msn`/`_HLS_part` of the next part) sent
   to the origin and to the edge at once; the time between the origin's answer and the
   edge's, over `--parts` parts. Prints median and p95 (goal: about one part or less).
3. LL-HLS viewers: `--ll-viewers` counts of simulated LL-HLS players (`bench/ll_load.py`:
   blocking reload, then the new part, each on its own connection) for `--ll-seconds` each,
   spread over `--procs` processes. Prints requests/s per viewer, p50/p99 of part fetches
   (the requests not held by design; goal p99 <= 50 ms), errors, the edge's CPU, and the
   edge's upstream requests/s (sender_edge_upstream_requests_total): O(renditions), not
   O(viewers). The same counts against nginx (sendfile, 1 worker) serving the same playlist
   text and part file, fetched once per part duration by all players at the same instants
   (nginx cannot block). Python players saturate the load generator at a few hundred, so:
4. LL-HLS viewers as wrk connections: `--wrk-viewers` counts of wrk connections running
   `bench/ll_viewers.lua` (each a viewer alternating a blocking reload and the newest part),
   with `--probes` Python players alongside whose part fetches give the p99. The nginx
   reference gets the same bursts (`bench/paced_wrk.py`): each wrk connection fetches the
   playlist and the part at every part-duration boundary, with the probes alongside.
   Also prints the edge's CPU per 1,000 viewers and, from its
   `sender_edge_hls_release_seconds` histogram, how long answering every blocking reload
   released by one part took (p50/p99 as bucket bounds; goal <= 20 ms at 2,000).
5. Throughput: wrk (32 connections, bounded run) on one part (edge: from memory), one
   segment (edge: from its spool cache) and the live playlist (no blocking), against nginx
   serving the same bytes as files, `--rounds` times back to back (order alternating).
   Prints the median ratio edge/nginx, its range and the median req/s (goal >= 0.8).
   Needs Debian's nginx and wrk.
6. Idle RSS of each role (goal <= 80 MB), on this interpreter and, with a wheelhouse
   (`make images`), on a virtualenv holding only the images' packages (bench/image_venv.py);
   `--idle-only` runs just this part (`--throughput-only`: just part 5).

    .venv/bin/python bench/edge.py [--segments 15] [--seconds 3] [--rounds 5] [--parts 20]
        [--ll-viewers 1,100,250,500] [--wrk-viewers 500,1000,2000,4000] [--probes 20]
        [--ll-seconds 15] [--procs 2] [--idle-only | --throughput-only]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import ll_load
from bench.image_venv import WHEELS, image_like_python
from bench.nginx_ref import nginx_serving, wrk_rate
from bench.paced_wrk import nginx_paced, wrk_outcome
from bench.stack import live_origin_and_edge
from tests import procs, scrape
from tests.edge.helpers import start_session
from tests.waiting import wait_for


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


async def _blocked(client: httpx.AsyncClient, url: str) -> float:
    r = await client.get(url)
    r.raise_for_status()
    return time.monotonic()


async def _part_lag(origin: str, edge: str, slug: str, count: int) -> list[float]:
    lags: list[float] = []
    async with httpx.AsyncClient(timeout=15) as client:
        while len(lags) < count:
            text = (await client.get(f"{edge}/sender/hls/{slug}/live.m3u8")).text
            msn, part, _ = ll_load.position(text)
            q = f"/sender/hls/{slug}/live.m3u8?_HLS_msn={msn}&_HLS_part={part}"
            up, down = await asyncio.gather(
                _blocked(client, origin + q), _blocked(client, edge + q)
            )
            lags.append(down - up)
    return lags


def upstream_requests(edge: procs.Proc) -> float:
    return sum(
        scrape.labelled(scrape.scrape(edge.url), "sender_edge_upstream_requests_total").values()
    )


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")


def ll_viewers(edge: procs.Proc, args: argparse.Namespace) -> None:
    """Python players only: at a few hundred the load generator, not the edge, is the limit."""
    for n in args.ll_viewers:
        up0, cpu0 = upstream_requests(edge), procs.cpu_seconds(edge.pid)
        began = time.monotonic()
        st = ll_load.run("ll", (edge.url, "bench"), n, args.ll_seconds, args.procs)
        took = time.monotonic() - began
        up, cpu = upstream_requests(edge) - up0, procs.cpu_seconds(edge.pid) - cpu0
        print(
            f"  edge, {n:5d} LL viewers: {st.requests / took / n:.2f} req/s per viewer"
            f" ({st.requests / took:.0f} req/s), parts p50 {st.p(50):.1f} ms p99 {st.p(99):.1f} ms,"
            f" {st.errors} errors, edge CPU {cpu / took * 100:.0f}% of a core"
            f" ({cpu / max(st.requests, 1) * 1e6:.0f} us/request), upstream {up / took:.1f} req/s"
        )
        for line in st.first_errors[:2]:
            print(f"    error: {line}")


def established(port: int, at_least: int) -> bool:
    """Whether `at_least` TCP connections accepted on the loopback `port` are open."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    fields = [line.split() for line in lines]
    return sum(1 for f in fields if f[1].endswith(f":{port:04X}") and f[3] == "01") >= at_least


def ll_wrk(edge: procs.Proc, args: argparse.Namespace) -> None:
    """wrk connections as LL-HLS viewers (bench/ll_viewers.lua), plus `--probes` Python
    players whose part fetches give the latency of the requests not held by design."""
    script = Path(__file__).with_name("ll_viewers.lua")
    for n in args.wrk_viewers:
        up0, cpu0 = upstream_requests(edge), procs.cpu_seconds(edge.pid)
        before = release_buckets(edge)
        seconds = int(args.ll_seconds)
        wrk = procs.spawn(
            [
                "wrk",
                "-t2",
                f"-c{n}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"{edge.url}/sender/hls/bench/",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        began = time.monotonic()
        # connections open first: the probes measure the steady state
        opened = partial(established, int(edge.url.rsplit(":", 1)[1]), n)
        wait_for(opened, 60, f"{n} wrk connections open at the edge")
        probe = ll_load.run("ll", (edge.url, "bench"), args.probes, seconds - 2, 1)
        out, _ = wrk.communicate(timeout=seconds + 30)
        took = time.monotonic() - began
        spread = release_spread(edge, before)
        up, cpu = upstream_requests(edge) - up0, procs.cpu_seconds(edge.pid) - cpu0
        rate, outcome = wrk_outcome(out)
        print(
            f"  edge, {n:5d} wrk LL viewers + {args.probes} probes: {rate:.0f} req/s"
            f" ({rate / n:.2f} per viewer), probe parts p50 {probe.p(50):.1f} ms"
            f" p99 {probe.p(99):.1f} ms, {outcome}, probe errors {probe.errors},"
            f" edge CPU {cpu / took * 100:.0f}% of a core"
            f" ({cpu / took * 100 / n * 1000:.0f}% per 1,000 viewers), upstream {up / took:.1f}"
            f" req/s; {spread}"
        )


Buckets = dict[tuple[str, float], float]


def release_buckets(edge: procs.Proc) -> Buckets:
    """The edge's `sender_edge_hls_release_seconds` histograms (the median and the 99th
    percentile waiter of each release): cumulative count per (quantile, bound)."""
    samples = scrape.read_samples(scrape.scrape(edge.url))
    name = "sender_edge_hls_release_seconds_bucket"
    return {
        (s.labels["quantile"], float(s.labels["le"])): float(s.value)
        for s in samples
        if s.name == name
    }


def release_spread(edge: procs.Proc, before: Buckets) -> str:
    """Over the run's releases (a part arrives, its waiting blocking reloads are answered):
    the median release's time to its median and to its 99th percentile waiter, as bucket
    bounds, and the waiters of the last release."""
    after = release_buckets(edge)

    def median_bound(quantile: str) -> str:
        counts = {
            le: c - before.get((q, le), 0.0)
            for (q, le), c in sorted(after.items())
            if q == quantile
        }
        total = counts.get(float("inf"), 0.0)
        if total <= 0:
            return "none"
        le = next(le for le, c in counts.items() if c >= total / 2)
        return "> 250 ms" if le == float("inf") else f"<= {le * 1000:g} ms"

    waiters = scrape.value(scrape.scrape(edge.url), "sender_edge_hls_release_waiters") or 0
    return (
        f"a part released its waiters: median waiter {median_bound('0.5')},"
        f" p99 waiter {median_bound('0.99')} (last release: {waiters:.0f} waiters)"
    )


def idle_rss(tmp: Path, python: Path | None = None) -> None:
    """RSS of each role started idle (nothing published, no viewer), once ready: VmRSS, and
    of it what is anonymous memory and what mapped files (shared libraries). With `python`,
    the roles run on that interpreter (`image_like_python`'s) instead of this one."""
    for role in ("origin", "edge", "metrics"):
        extra = {"rtmp_port": procs.free_port(), "srt_port": 0} if role == "origin" else {}
        proc = procs.start_role(role, tmp / f"idle-{role}", settings=extra, python=python)
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            kb = {ln.split(":")[0]: int(ln.split()[1]) for ln in status.splitlines() if " kB" in ln}
            print(
                f"  {role}: {kb['VmRSS'] / 1024:.0f} MB (goal <= 80 MB;"
                f" anonymous {kb['RssAnon'] / 1024:.0f}, files {kb['RssFile'] / 1024:.0f})"
            )
        finally:
            proc.stop()


def idle_rss_both(tmp: Path) -> None:
    """Idle RSS on this interpreter, then on one with only the images' packages."""
    print(f"idle RSS ({sys.prefix}):")
    idle_rss(tmp)
    python = image_like_python(tmp / "image-venv")
    if python is None:
        print(f"idle RSS with the images' packages: no wheelhouse in {WHEELS} (make images)")
        return
    print(f"idle RSS with only the images' packages ({WHEELS}):")
    idle_rss(tmp, python)


def nginx_viewers(root: Path, args: argparse.Namespace, playlist: str, part: str) -> None:
    with nginx_serving(root, connections=4 * max(args.ll_viewers) + 64) as ngx:
        for n in args.ll_viewers:
            run_args = (ngx, playlist, part, str(args.part_seconds))
            st = ll_load.run("static", run_args, n, args.ll_seconds, args.procs)
            print(
                f"  nginx, {n:5d} viewers: {st.requests / args.ll_seconds / n:.2f} req/s per"
                f" viewer, parts p50 {st.p(50):.1f} ms p99 {st.p(99):.1f} ms, {st.errors} errors"
            )


def throughput(tmp: Path, edge: procs.Proc, seconds: int, rounds: int) -> None:
    """wrk on the newest part (from memory), the newest segment and the live playlist, against
    nginx serving the same bytes as files: `rounds` rounds, each fetching the newest files
    again (a part lives about three segments) and running edge and nginx back to back,
    their order alternating (the rates of both drift with the shared machine's load)."""
    ref = tmp / "wrk" / "bench"
    ref.mkdir(parents=True, exist_ok=True)
    got: dict[str, list[tuple[float, float, int]]] = {"part": [], "segment": [], "playlist": []}
    with nginx_serving(tmp / "wrk") as ngx:
        for i in range(rounds):
            text = httpx.get(f"{edge.url}/sender/hls/bench/live.m3u8", timeout=5).text
            part = ll_load.position(text)[2]
            seg = [ln for ln in text.splitlines() if ln and not ln.startswith("#")][-1]
            assert part is not None
            (ref / "live.m3u8").parent.mkdir(parents=True, exist_ok=True)
            (ref / "live.m3u8").write_text(text)  # nginx: the same text as a file
            for rel in (part, seg):
                r = httpx.get(f"{edge.url}/sender/hls/bench/{rel}", timeout=5)
                r.raise_for_status()
                (ref / rel).parent.mkdir(parents=True, exist_ok=True)
                (ref / rel).write_bytes(r.content)
            for kind, rel in (("part", part), ("segment", seg), ("playlist", "live.m3u8")):
                urls = [f"{edge.url}/sender/hls/bench/{rel}", f"{ngx}/bench/{rel}"]
                order = urls if i % 2 == 0 else urls[::-1]
                rates = {url: wrk_rate(url, seconds) for url in order}
                got[kind].append((rates[urls[0]], rates[urls[1]], (ref / rel).stat().st_size))
    for kind, runs in got.items():
        ratios = sorted(e / n for e, n, _ in runs)
        sizes = sorted(size for _, _, size in runs)
        print(
            f"  {kind} ({sizes[0]}-{sizes[-1]} bytes), {len(runs)} rounds: median ratio"
            f" edge/nginx {statistics.median(ratios):.3f} (range {ratios[0]:.2f}-{ratios[-1]:.2f};"
            f" goal >= 0.8), edge {statistics.median(e for e, _, _ in runs):.0f} req/s,"
            f" nginx {statistics.median(n for _, n, _ in runs):.0f} req/s (medians)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=15)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--parts", type=int, default=20)
    ap.add_argument(
        "--ll-viewers",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[1, 100, 250, 500],
    )
    ap.add_argument(
        "--wrk-viewers",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[500, 1000, 2000, 4000],
    )
    ap.add_argument("--probes", type=int, default=20)
    ap.add_argument("--ll-seconds", type=float, default=15)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--idle-only", action="store_true", help="only the idle RSS of each role")
    ap.add_argument(
        "--throughput-only", action="store_true", help="only the throughput against nginx"
    )
    args = ap.parse_args()
    if args.idle_only:
        with tempfile.TemporaryDirectory() as tmp:
            idle_rss_both(Path(tmp))
        return
    procs.SEGMENT_SECONDS = "2"
    args.part_seconds = 0.5
    have_nginx = shutil.which("nginx") is not None and shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory() as tmp:
        with live_origin_and_edge(Path(tmp), "bench") as (origin, edge):
            start_session(edge, "bench", upstream_url=origin.url)
            wait_for(lambda: len(uris(edge.url, "bench")) >= 1, 30, "edge mirroring")
            if args.throughput_only:
                if not have_nginx:
                    sys.exit("nginx or wrk missing: no reference to measure against")
                print("throughput, wrk 32 connections (the stream still live):")
                throughput(Path(tmp), edge, args.seconds, args.rounds)
                return
            lags = sorted(measure_lag(origin, edge, "bench", args.segments))
            print(
                f"edge lag over {len(lags)} segments: median {statistics.median(lags):.3f} s,"
                f" p95 {_pct(lags, 0.95):.3f} s (goal: median <= 1 s)"
            )
            plags = asyncio.run(_part_lag(origin.url, edge.url, "bench", args.parts))
            print(
                f"LL-HLS part lag (edge answer after origin answer) over {len(plags)} parts:"
                f" median {statistics.median(plags) * 1000:.0f} ms,"
                f" p95 {_pct(plags, 0.95) * 1000:.0f} ms (parts of {args.part_seconds} s)"
            )
            print(f"LL-HLS viewers, {args.ll_seconds:g} s per count, {args.procs} load processes:")
            ll_viewers(edge, args)
            if have_nginx:
                print(f"LL-HLS viewers as wrk connections, {args.ll_seconds:g} s per count:")
                ll_wrk(edge, args)
            text = httpx.get(f"{edge.url}/sender/hls/bench/live.m3u8", timeout=5).text
            _, _, part = ll_load.position(text)
            assert part is not None
            if not have_nginx:
                print("nginx or wrk missing: reference runs skipped")
            else:
                root = Path(tmp) / "ref"
                dest = root / "sender" / "hls" / "bench"
                (dest / part).parent.mkdir(parents=True, exist_ok=True)
                (dest / part).write_bytes(httpx.get(f"{edge.url}/sender/hls/bench/{part}").content)
                (dest / "live.m3u8").write_text(text)
                print("nginx reference (playlist and part every part duration, no blocking):")
                paths = ("/sender/hls/bench/live.m3u8", f"/sender/hls/bench/{part}")
                nginx_viewers(root, args, *paths)
                print(
                    "nginx reference, wrk viewers in the same bursts"
                    " (playlist, part, at each part):"
                )
                seconds = int(args.ll_seconds)
                nginx_paced(root, args.wrk_viewers, seconds, args.probes, args.part_seconds, paths)
                print("throughput, wrk 32 connections (the stream still live):")
                throughput(Path(tmp), edge, args.seconds, args.rounds)
        idle_rss_both(Path(tmp))


if __name__ == "__main__":
    main()
