"""`python -m sender_cli.smoke`: start `sender up --demo`, play the demo, stop, report.

Runs on free loopback ports in a temporary directory and exits non-zero on any failure.
The whole run is bounded (about 90 s).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
from rich.console import Console

from sender_common.ffmpeg import resolve_ffmpeg, resolve_ffprobe

T = TypeVar("T")
console = Console()
TOTAL_SECONDS = 90.0
STOP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(check: Callable[[], T | None], deadline: float, interval: float = 0.5) -> T | None:
    """`check()` until it returns something truthy or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(interval)
    return None


def segment_uris(base: str, path: str = "/sender/hls/demo/live.m3u8") -> list[str] | None:
    """Absolute segment URLs of a live playlist (following a master's first variant)."""
    r = httpx.get(base + path, timeout=5)
    if r.status_code != 200:
        return None
    url = httpx.URL(base + path)
    uris = [line for line in r.text.splitlines() if line and not line.startswith("#")]
    if uris and uris[0].split("?")[0].endswith(".m3u8"):
        variant = url.join(uris[0])
        r = httpx.get(str(variant), timeout=5)
        url = variant
        uris = [line for line in r.text.splitlines() if line and not line.startswith("#")]
    return [str(url.join(u)) for u in uris] or None


class Smoke:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        mark = "[green]ok[/green]  " if ok else "[red]FAIL[/red]"
        console.print(f"{mark} {what}" + (f" ({detail})" if detail else ""), highlight=False)
        if not ok:
            self.failures.append(what)
        return ok

    def play(self, role: str, base: str, deadline: float) -> None:
        uris = poll(lambda: segment_uris(base), deadline)
        if not self.check(bool(uris), f"{role}: demo live.m3u8 has segments", base):
            return
        assert uris is not None
        seg = httpx.get(uris[-1], timeout=10)
        ok = seg.status_code == 200 and seg.content[:1] == b"\x47"
        self.check(ok, f"{role}: segment fetched", f"{len(seg.content)} bytes, {seg.status_code}")

    def probe(self, url: str) -> None:
        ffprobe = resolve_ffprobe(resolve_ffmpeg(os.environ.get("SENDER_FFMPEG_EXECUTABLE")))
        argv = [ffprobe or "ffprobe", "-v", "error", "-show_entries", "stream=codec_name"]
        argv += ["-of", "csv=p=0", "-rw_timeout", "10000000", url]
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=25, check=False)
        except subprocess.TimeoutExpired:
            self.check(False, "edge: ffprobe reads live.m3u8", "timed out")
            return
        codecs = sorted({c.strip() for c in out.stdout.split() if c.strip()})
        ok = out.returncode == 0 and "h264" in codecs
        self.check(ok, "edge: ffprobe reads live.m3u8", ", ".join(codecs) or out.stderr[-200:])


def stop(proc: subprocess.Popen[bytes], smoke: Smoke) -> None:
    """SIGINT like Ctrl-C; the CLI stops its children. SIGKILL the group if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
            smoke.check(False, "sender up stopped on SIGINT", "had to be killed")
            return
    smoke.check(proc.returncode == 0, "sender up stopped on SIGINT", f"exit {proc.returncode}")


def run(workdir: Path) -> int:
    smoke = Smoke()
    origin, edge = free_port(), free_port()
    argv = [sys.executable, "-m", "sender_cli", "up", "--demo", "--data-dir", str(workdir)]
    argv += ["--origin-port", str(origin), "--edge-port", str(edge)]
    argv += ["--rtmp-port", str(free_port()), "--metrics-port", str(free_port())]
    argv += ["--segment-seconds", "1", "--ready-timeout", "45"]
    log_path = workdir / "sender-up.log"
    deadline = time.monotonic() + TOTAL_SECONDS - STOP_SECONDS
    console.print(f"smoke: {' '.join(argv[1:])}")
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        smoke.play("origin", f"http://127.0.0.1:{origin}", deadline)
        smoke.play("edge", f"http://127.0.0.1:{edge}", deadline)
        if not smoke.failures:
            smoke.probe(f"http://127.0.0.1:{edge}/sender/hls/demo/live.m3u8")
    finally:
        stop(proc, smoke)
    if smoke.failures:
        console.print(f"[red]smoke failed[/red]: {', '.join(smoke.failures)}; sender up said:")
        console.out(log_path.read_text(errors="replace")[-3000:], highlight=False)
        return 1
    console.print("[green]smoke passed[/green]")
    return 0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sender-smoke-") as tmp:
        return run(Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
