"""WebRTC viewers on one edge: CPU per viewer, viewers per core, memory per session, loss.

An origin with one RTMP test-pattern publisher (320x180, 15 fps, 300 kb/s, AAC), one edge
mirroring it. Client processes (aiortc peers that count and drop the frames instead of
decoding them) open `--viewers` WHEP sessions on the edge, spread over `--clients`
processes. Over `--seconds` with every session playing: the edge's CPU (its process only:
it sends every viewer's RTP), its RSS growth per session, and the packets the clients
received and lost (RTCP's count, from their inbound-rtp stats).

    .venv/bin/python bench/webrtc_viewers.py [--viewers 200] [--clients 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import aiortc.rtcrtpreceiver
import httpx

from tests import procs
from tests.waiting import wait_for
from tests.webrtc.client import Viewer, watch

SLUG = "wbench"


def counting_worker(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue[Any],
    output_q: asyncio.Queue[Any],
    decode_error: threading.Event,
) -> None:
    """aiortc's decoder thread, minus the decoding: a load generator must stay light."""
    del loop, output_q, decode_error
    while input_q.get() is not None:
        pass


async def client_main(url: str, count: int, seconds: float) -> dict[str, int]:
    aiortc.rtcrtpreceiver.decoder_worker = counting_worker
    viewers: list[Viewer] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(count):
            viewers.append(await watch(client, url))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(v.pc.connectionState == "connected" for v in viewers):
                break
            await asyncio.sleep(0.2)
        print("ready", flush=True)
        await asyncio.sleep(seconds)
        totals = {"received": 0, "lost": 0, "connected": 0}
        for v in viewers:
            totals["connected"] += v.pc.connectionState == "connected"
            for stat in (await v.pc.getStats()).values():
                if stat.type == "inbound-rtp":
                    totals["received"] += stat.packetsReceived
                    totals["lost"] += max(0, stat.packetsLost)
        for v in viewers:
            await v.close(client)
    return totals


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--viewers", type=int, default=200)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument(
        "--client", nargs=3, metavar=("URL", "COUNT", "SECONDS"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.client:
        url, count, seconds = args.client
        print(json.dumps(asyncio.run(client_main(url, int(count), float(seconds)))), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        origin = procs.start_origin(Path(tmp) / "origin")
        edge = procs.start_role(
            "edge",
            Path(tmp) / "edge",
            settings={
                "upstream_url": origin.url,
                "webrtc_max_sessions": 10_000,
                "webrtc_max_per_client": 10_000,
            },
        )
        pub = procs.publish(procs.rtmp_url(origin, procs.create_endpoint(origin.url, SLUG)))
        try:
            wait_for(lambda: procs.stream_state(origin.url, SLUG) == "live", 30, "live")
            run(edge, args)
        finally:
            procs.stop_publisher(pub)
            edge.stop()
            origin.stop()


def run(edge: procs.Proc, args: argparse.Namespace) -> None:
    url = f"{edge.url}/sender/whep/{SLUG}"
    rss0 = rss_kib(edge.pid)
    per = [
        args.viewers // args.clients + (i < args.viewers % args.clients)
        for i in range(args.clients)
    ]
    clients = [
        procs.spawn(
            [sys.executable, __file__, "--client", url, str(n), str(args.seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in per
        if n
    ]
    for c in clients:
        assert c.stdout is not None
        assert c.stdout.readline().strip() == "ready"
    t0, cpu0, rss1 = time.monotonic(), procs.cpu_seconds(edge.pid), rss_kib(edge.pid)
    results = []
    for c in clients:
        assert c.stdout is not None
        results.append(json.loads(c.stdout.readline()))
        c.wait(30)
    t1, cpu1 = time.monotonic(), procs.cpu_seconds(edge.pid)
    core = (cpu1 - cpu0) / (t1 - t0)
    received = sum(r["received"] for r in results)
    lost = sum(r["lost"] for r in results)
    connected = sum(r["connected"] for r in results)
    loss = 100 * lost / max(1, received + lost)
    print(f"viewers {args.viewers} (connected {connected}) on one edge, {t1 - t0:.0f} s measured")
    print(
        f"edge CPU {100 * core:.1f} % of one core;"
        f" {100 * core / max(1, connected):.3f} % per viewer"
    )
    print(f"viewers per core at this load: {connected / max(core, 1e-9):.0f}")
    print(
        f"edge RSS {rss0 // 1024} MiB idle, {rss1 // 1024} MiB with the sessions:"
        f" {(rss1 - rss0) / max(1, connected):.0f} KiB per session"
    )
    print(f"packets received {received}, lost {lost}: {loss:.2f} % loss")


if __name__ == "__main__":
    main()
