"""The nginx reference of the wrk LL-HLS viewers: the same bursts against a server that
cannot block.

Every wrk connection (`bench/paced_viewers.lua`) fetches the playlist and then the part at
each part-duration boundary of the monotonic clock, and `probes` Python players
(`ll_load.static_player`) do the same alongside: the requests LL-HLS viewers woken by one
new part send at once, minus the waiting. Both the probes' part fetches and wrk's own
latency (every request, none held) are printed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bench import ll_load
from bench.nginx_ref import nginx_serving
from tests import procs

SCRIPT = Path(__file__).with_name("paced_viewers.lua")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_percentile(out: str, pct: int) -> float:
    """wrk `--latency`'s percentile `pct` (50, 75, 90 or 99) in ms; NaN when absent."""
    m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk_outcome(out: str) -> tuple[float, str]:
    """wrk's requests/s and its non-2xx and socket error counts, as printed by the benches."""
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    text = (
        f"non-2xx {bad.group(1) if bad else 0}{', socket errors ' + errs.group(1) if errs else ''}"
    )
    return (float(m.group(1)) if m else 0.0), text


def nginx_paced(
    root: Path, counts: list[int], seconds: int, probes: int, period: float, paths: tuple[str, str]
) -> None:
    """`counts` paced wrk viewers (plus `probes` Python players) against nginx serving `root`;
    `paths`: the playlist and part URL paths."""
    playlist, part = paths
    with nginx_serving(root, connections=2 * max(counts) + probes + 64) as ngx:
        for n in counts:
            argv = ["wrk", "-t2", f"-c{n}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
            argv += ["-s", str(SCRIPT), ngx, "--", playlist, part, str(round(period * 1000))]
            wrk = procs.spawn(argv, stdout=subprocess.PIPE, text=True)
            run_args = (ngx, playlist, part, str(period))
            probe = ll_load.run("static", run_args, probes, seconds - 2, 1)
            out, _ = wrk.communicate(timeout=seconds + 30)
            rate, outcome = wrk_outcome(out)
            print(
                f"  nginx, {n:5d} paced wrk viewers + {probes} probes: {rate:.0f} req/s"
                f" ({rate / n:.2f} per viewer), probe parts p50 {probe.p(50):.1f} ms"
                f" p99 {probe.p(99):.1f} ms, wrk requests p50 {wrk_percentile(out, 50):.1f} ms"
                f" p99 {wrk_percentile(out, 99):.1f} ms, {outcome}, probe errors {probe.errors}"
            )
