"""Releasing waiting blocking reloads: the serving path against the bare loopback sends.

1. The serving path: `HlsHttpProtocol` in this process's loop, `--waiters` raw keep-alive
   connections each waiting on a blocking reload for the next part of one `LivePlaylist`;
   a part arrives and every waiter is answered in that loop turn. Prints, per round, the
   time from the part to the median and to the last waiter's answer being written
   (`RELEASE_HOOKS`, what `sender_<role>_hls_release_seconds` records).
2. The floor under it: the same number of loopback TCP connections, and one `os.write` of a
   playlist-sized answer to each from one thread, then split over two threads (the kernel's
   share of a release, without any Python beyond the loop).

    .venv/bin/python bench/release.py [--waiters 2000] [--rounds 3] [--bytes 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sender_common.hls.playlist.live import RELEASE_HOOKS, live_changes
from sender_common.hls.playlist.segments import Part
from tests.sender_common.hls_server import Raw, live_app, serving
from tests.waiting import wait_for_async


async def serving_path(tmp: Path, waiters: int, rounds: int) -> None:
    app, pl, _ = live_app(tmp, live_changes)
    spreads: list[list[float]] = []
    RELEASE_HOOKS.append(spreads.append)
    try:
        async with serving(app, limit_concurrency=100_000, backlog=4096) as port:
            for rnd in range(rounds):
                conns = [await Raw.open(port) for _ in range(waiters)]
                query = f"_HLS_msn=0&_HLS_part={pl.part_seq}"
                ask = f"GET /sender/hls/ep/live.m3u8?{query} HTTP/1.1\r\nhost: x\r\n\r\n".encode()
                for c in conns:
                    c.writer.write(ask)
                await wait_for_async(lambda: pl.listeners == waiters, 60, "every reload waiting")
                pl.add_part(Part(f"1/src/part{pl.part_seq}.m4s", 0.5, False), b"n" * 100)
                answers = await asyncio.gather(*(c.response() for c in conns))
                ok = sum(1 for status, _, _ in answers if status == 200)
                done = spreads[-1]
                print(
                    f"  round {rnd}: {len(done)} waiters ({ok} answered 200), median"
                    f" {statistics.median(done) * 1000:.1f} ms, last {done[-1] * 1000:.1f} ms"
                )
                for c in conns:
                    c.close()
    finally:
        RELEASE_HOOKS.remove(spreads.append)


def bare_sends(waiters: int, rounds: int, size: int) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    clients, servers = [], []
    for _ in range(waiters):
        clients.append(socket.create_connection(listener.getsockname()))
        servers.append(listener.accept()[0])
    data = b"x" * size
    fds = [s.fileno() for s in servers]

    def write_all(part: list[int]) -> None:
        for fd in part:
            os.write(fd, data)

    def drain() -> None:
        for c in clients:
            c.setblocking(False)
            try:
                while c.recv(65536):
                    pass
            except BlockingIOError:
                pass

    try:
        for rnd in range(rounds):
            began = time.perf_counter()
            write_all(fds)
            one = time.perf_counter() - began
            drain()
            half = len(fds) // 2
            other = threading.Thread(target=write_all, args=(fds[half:],))
            began = time.perf_counter()
            other.start()
            write_all(fds[:half])
            other.join()
            two = time.perf_counter() - began
            drain()
            print(
                f"  round {rnd}: one thread {one * 1000:.1f} ms ({one / waiters * 1e6:.1f} µs per"
                f" write), two threads {two * 1000:.1f} ms"
            )
    finally:
        for s in (*clients, *servers, listener):
            s.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--waiters", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bytes", type=int, default=2000)
    args = ap.parse_args()
    print(f"serving path, {args.waiters} blocking reloads released by one part:")
    with tempfile.TemporaryDirectory() as tmp:
        uvloop.run(serving_path(Path(tmp), args.waiters, args.rounds))
    print(f"bare loopback sends of {args.bytes} bytes to {args.waiters} connections:")
    bare_sends(args.waiters, args.rounds, args.bytes)


if __name__ == "__main__":
    main()
