"""LL-HLS viewers for `bench/edge.py`: simulated players and the nginx reference mix.

A player here is what an LL-HLS client does once it is at the live edge: a blocking reload
for the part after the newest it has (`_HLS_msn`/`_HLS_part`), then a fetch of the new
part, on its own keep-alive connection (`bench.load.LeanPool` with one slot). Playlists are
read with a few string searches, not a full parser, so the load costs far less than the
server it measures. Latency is kept for the requests that are not held by design: part
fetches. The nginx reference cannot block, so there each player fetches the playlist and a
part every part duration, all at the same instants: the same requests in the same bursts,
minus the waiting.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bench.load import LeanPool

ERRORS = (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError)


@dataclass
class LLStats:
    requests: int = 0
    blocking: int = 0
    errors: int = 0
    part_ms: list[float] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)

    def merge(self, other: LLStats) -> None:
        self.requests += other.requests
        self.blocking += other.blocking
        self.errors += other.errors
        self.part_ms += other.part_ms
        self.first_errors += other.first_errors[: max(0, 5 - len(self.first_errors))]

    def p(self, q: int) -> float:
        if len(self.part_ms) < 2:
            return float("nan")
        return statistics.quantiles(self.part_ms, n=100, method="inclusive")[q - 1]


def position(text: str) -> tuple[int, int, str | None]:
    """(next MSN, parts of the open segment, newest part URI) of an LL-HLS playlist."""
    start = text.find("#EXT-X-MEDIA-SEQUENCE:") + len("#EXT-X-MEDIA-SEQUENCE:")
    msn = int(text[start : text.find("\n", start)])
    last_inf = text.rfind("#EXTINF")
    tail = text[text.find("\n", text.find("\n", last_inf) + 1) :] if last_inf >= 0 else text
    i = text.rfind("#EXT-X-PART:")
    newest = None
    if i >= 0:
        u = text.find('URI="', i) + 5
        newest = text[u : text.find('"', u)]
    return msn + text.count("#EXTINF"), tail.count("#EXT-X-PART:"), newest


async def _call(pool: LeanPool, path: str, stats: LLStats) -> bytes | None:
    stats.requests += 1
    try:
        status, body = await pool.get(path)
    except ERRORS as exc:
        stats.errors += 1
        if len(stats.first_errors) < 5:
            stats.first_errors.append(f"{type(exc).__name__} {exc} {path}")
        return None
    if status != 200:
        stats.errors += 1
        if len(stats.first_errors) < 5:
            stats.first_errors.append(f"HTTP {status} {path}")
        return None
    return body


async def _part(pool: LeanPool, path: str, stats: LLStats) -> None:
    began = time.perf_counter()
    if await _call(pool, path, stats) is not None:
        stats.part_ms.append((time.perf_counter() - began) * 1000)


async def ll_player(base: str, slug: str, vsid: str, stop_at: float, stats: LLStats) -> None:
    """Blocking reload for the next part, then that part; until `stop_at`."""
    loop = asyncio.get_running_loop()
    pool = LeanPool(base, 1)
    prefix = f"/sender/hls/{slug}/"
    await asyncio.sleep(random.uniform(0, 0.5))
    body = await _call(pool, f"{prefix}live.m3u8?vsid={vsid}", stats)
    fetched: str | None = None
    while body is not None and loop.time() < stop_at:
        msn, part, newest = position(body.decode())
        if newest is not None and newest != fetched:
            await _part(pool, prefix + newest, stats)
            fetched = newest
        stats.blocking += 1
        query = f"live.m3u8?vsid={vsid}&_HLS_msn={msn}&_HLS_part={part}"
        body = await _call(pool, prefix + query, stats)


async def static_player(
    base: str, playlist: str, part: str, period: float, stop_at: float, stats: LLStats
) -> None:
    """The nginx reference: the playlist and a part every `period`, all players at the same
    instants (as LL-HLS players woken by the same new part are)."""
    loop = asyncio.get_running_loop()
    pool = LeanPool(base, 1)
    due = math.ceil(loop.time() / period) * period  # the monotonic clock is system-wide
    while due < stop_at:
        await asyncio.sleep(max(0.0, due - loop.time()))
        if await _call(pool, playlist, stats) is not None:
            await _part(pool, part, stats)
        due += period


async def _run(kind: str, args: tuple[str, ...], n: int, seconds: float, first: int) -> LLStats:
    stats = LLStats()
    stop_at = asyncio.get_running_loop().time() + seconds
    async with asyncio.TaskGroup() as tg:
        for i in range(first, first + n):
            if kind == "ll":
                tg.create_task(ll_player(args[0], args[1], f"llv-{i:06d}", stop_at, stats))
            else:
                base, playlist, part, period = args
                tg.create_task(static_player(base, playlist, part, float(period), stop_at, stats))
    return stats


def _worker(kind: str, args: tuple[str, ...], n: int, seconds: float, first: int) -> LLStats:
    return asyncio.run(_run(kind, args, n, seconds, first))


def run(kind: str, args: tuple[str, ...], viewers: int, seconds: float, nprocs: int) -> LLStats:
    """`viewers` players of `kind` ("ll" or "static") over `nprocs` processes."""
    total = LLStats()
    shares = [viewers // nprocs + (1 if i < viewers % nprocs else 0) for i in range(nprocs)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(nprocs, mp_context=ctx) as pool:
        futures = [
            pool.submit(_worker, kind, args, n, seconds, sum(shares[:i]))
            for i, n in enumerate(shares)
            if n
        ]
        for fut in futures:
            total.merge(fut.result())
    return total
