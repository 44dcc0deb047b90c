"""Bad SRT input never stops a real publisher: junk UDP, half handshakes, oversized stream IDs,
silent callers and a crowd of wrong keys are refused or timed out, and the origin's threads
and file descriptors come back to where they were."""

from __future__ import annotations

import collections
import os
import socket
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from sender_common.hls.playlist.parse import parse_media_playlist
from tests import scrape
from tests.origin.ingest.srt_caller import free_udp_port, hang_up, srt_call
from tests.procs import Proc, create_endpoint, publish, start_origin, stop_publisher
from tests.waiting import wait_for


def threads(proc: Proc) -> collections.Counter[str]:
    """Thread names of the process (libsrt names its own `SRT:...`)."""
    names: collections.Counter[str] = collections.Counter()
    for task in Path(f"/proc/{proc.pid}/task").iterdir():
        try:
            names[(task / "comm").read_text().strip()] += 1
        except OSError:
            continue
    return names


def srt_threads(proc: Proc) -> int:
    return sum(n for name, n in threads(proc).items() if name.startswith("SRT:"))


def fds(proc: Proc) -> int:
    return len(os.listdir(f"/proc/{proc.pid}/fd"))


def publishes(proc: Proc) -> float:
    """Publishes the origin accepted so far (a counter: no window to miss)."""
    return scrape.value(scrape.scrape(proc.url), "sender_origin_publishes_total") or 0.0


def handshake(kind: int, extra: bytes = b"") -> bytes:
    """An SRT handshake control packet (header + CIF) of the given type, from socket 4242."""
    header = struct.pack("!IIII", 0x80000000, 0, 0, 0)
    cif = struct.pack("!IHHIIIiII", 4, 2, 0, 1000, 1500, 8192, kind, 4242, 0) + bytes(16)
    return header + cif + extra


def playlist(origin: Proc, slug: str) -> tuple[int, int, bool] | None:
    r = httpx.get(f"{origin.url}/sender/hls/{slug}/live.m3u8", timeout=5)
    if r.status_code != 200:
        return None
    pl = parse_media_playlist(r.text)
    if not pl.segments:
        return None
    return pl.media_sequence + len(pl.segments), len(pl.segments), "DISCONTINUITY" in r.text


def test_bad_input_leaves_a_real_publisher_streaming(tmp_path: Path) -> None:
    port = free_udp_port()
    origin = start_origin(tmp_path / "o", settings={"srt_port": port, "srt_idle_timeout": 2})
    try:
        key = create_endpoint(origin.url, "real")
        quiet_key = create_endpoint(origin.url, "quiet")
        pub = publish(f"srt://127.0.0.1:{port}?streamid=publish:live/{key}&latency=200000")
        try:
            wait_for(lambda: (p := playlist(origin, "real")) and p[1] >= 2, 30, "real publisher")
            base_srt, base_fds = srt_threads(origin), fds(origin)
            base_total = sum(threads(origin).values())
            end_before = playlist(origin, "real")
            assert end_before is not None

            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                for size in (0, 1, 16, 64, 1316, 1500, 9000):
                    udp.sendto(os.urandom(size), ("127.0.0.1", port))
                udp.sendto(handshake(1), ("127.0.0.1", port))  # induction, never concluded
                udp.settimeout(5)
                reply, _ = udp.recvfrom(2048)
                assert reply[:2] == b"\x80\x00"  # the listener answered and then waits in vain
                huge = b"#!::r=live/" + b"x" * 10_000 + b",m=publish"
                udp.sendto(handshake(-1, huge), ("127.0.0.1", port))  # a 10 KB stream ID
            long_id = publish(f"srt://127.0.0.1:{port}?streamid=publish:live/{'k' * 10_000}")
            quiet = srt_call(port, f"publish:live/{quiet_key}")  # connects, sends nothing
            assert quiet.sock is not None
            wait_for(lambda: publishes(origin) >= 2, 10, "the silent caller admitted")
            with ThreadPoolExecutor(50) as pool:
                wrong = list(
                    pool.map(
                        lambda i: srt_call(port, f"publish:live/sk_wrong-{i:04d}-0123456789"),
                        range(50),
                    )
                )
            assert [c.reason for c in wrong] == [1401] * 50
            assert long_id.wait(20) != 0
            state = f"{origin.url}/api/v1/streams/quiet"
            wait_for(lambda: httpx.get(state).json()["state"] == "waiting_source", 10, "idle drop")
            hang_up(quiet)

            # the real publisher went on: same generation, more segments, no break
            wait_for(
                lambda: (p := playlist(origin, "real")) and p[0] >= end_before[0] + 3, 20, "more"
            )
            after = playlist(origin, "real")
            assert after is not None and not after[2]
            st = httpx.get(f"{origin.url}/api/v1/streams/real", timeout=5).json()
            assert st["state"] == "live" and st["generation"] == 1
            metrics = scrape.scrape(origin.url)
            assert scrape.value(metrics, "sender_origin_ffmpeg_restarts_total") == 0.0

            wait_for(lambda: srt_threads(origin) == base_srt, 20, "libsrt threads back")
            wait_for(lambda: fds(origin) <= base_fds, 20, "file descriptors back")
            # asyncio's default executor may have grown by a worker for the silent caller
            assert sum(threads(origin).values()) <= base_total + 2
        finally:
            stop_publisher(pub)
    finally:
        origin.stop()
    assert "sk_wrong-" not in origin.log()
    assert "k" * 100 not in origin.log()
