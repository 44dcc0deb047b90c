"""A role stops at once on SIGTERM even with LL-HLS blocking reloads waiting: they are
answered (the playlist as it is) or closed cleanly, and the origin's ffmpeg goes with it."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from pathlib import Path

import httpx

from tests.procs import (
    children_of,
    create_endpoint,
    pid_alive,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
)
from tests.waiting import wait_for

# Long segments: a reload for a late part of the next segment is due seconds from now...
SEGMENT = 8
ORIGIN_SETTINGS = {"hls_segment_seconds": SEGMENT, "hls_part_seconds": 0.5}
# ...well after this bound on the role's exit (a bound, so a hung stop fails the test).
EXIT_BOUND = 5.0
WAITERS = 4


def _next_msn(text: str) -> int:
    seq = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))  # type: ignore[union-attr]
    return seq + text.count("#EXTINF:")


def _unread(port: int, clients: set[int]) -> int | None:
    """Request bytes the server has not read yet on the connections from `clients` (from
    /proc/net/tcp, the server's ends); None until every connection is there."""
    queued: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(a.split(":")[1], 16) for a in fields[1:3])
        if local == port and remote in clients:
            queued[remote] = int(fields[4].split(":")[1], 16)
    return sum(queued.values()) if len(queued) == len(clients) else None


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_sigterm_with_blocking_reloads_waiting(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin", settings=ORIGIN_SETTINGS)
    pub: subprocess.Popen[bytes] | None = None
    socks: list[socket.socket] = []
    try:
        key = create_endpoint(origin.url, "stop")
        pub = publish(rtmp_url(origin, key))
        base = f"{origin.url}/sender/hls/stop"

        def with_parts() -> str | None:
            r = httpx.get(f"{base}/live.m3u8", timeout=5)
            return r.text if r.status_code == 200 and "#EXT-X-PART:" in r.text else None

        msn = _next_msn(wait_for(with_parts, 60, "an LL-HLS playlist with parts")) + 1
        ffmpegs = children_of(origin.pid)
        assert ffmpegs
        port = int(origin.url.rsplit(":", 1)[1])
        # a late part of the next segment: due no sooner than (SEGMENT - 1) s from now
        target = f"/sender/hls/stop/live.m3u8?_HLS_msn={msn}&_HLS_part={2 * SEGMENT - 2}"
        request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        for _ in range(WAITERS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(request)
            socks.append(sock)
        clients = {s.getsockname()[1] for s in socks}
        wait_for(lambda: _unread(port, clients) == 0, 10, "the server reading every request")
        for sock in socks:  # all still waiting
            sock.setblocking(False)
            try:
                assert sock.recv(1, socket.MSG_PEEK) == b"", "answered before the stop"
            except BlockingIOError:
                pass
            sock.setblocking(True)

        origin.popen.send_signal(signal.SIGTERM)
        try:
            origin.popen.wait(EXIT_BOUND)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"origin still running {EXIT_BOUND} s after SIGTERM") from None

        for sock in socks:
            answer = _answer(sock)  # a clean close (EOF) or a whole answer, never a reset
            if answer:
                head, _, body = answer.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), head
                assert body.startswith(b"#EXTM3U"), body[:200]
        wait_for(lambda: not any(pid_alive(p) for p in ffmpegs), 10, "the origin's ffmpeg gone")
    finally:
        for sock in socks:
            sock.close()
        if pub is not None:
            stop_publisher(pub)
        origin.kill()
