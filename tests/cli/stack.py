"""`sender up` as a real process for tests: free ports, readiness, pids, clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sender_cli.local.roles import UpSettings
from sender_common.settings_env import env_name
from tests.origin.ingest.srt_caller import free_udp_port
from tests.procs import free_port, pid_alive, signal_and_wait
from tests.waiting import wait_for


@dataclass
class SenderUp:
    popen: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    origin: str
    edge: str
    metrics: str
    rtmp_port: int
    srt_port: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self) -> dict[str, Any]:
        pids: dict[str, Any] = json.loads((self.data_dir / "sender-up.pids").read_text())
        return pids

    def role_pids(self) -> dict[str, int]:
        roles: dict[str, int] = self.pids()["roles"]
        return dict(roles)

    def interrupt(self, timeout: float = 30) -> int | None:
        """Ctrl-C: SIGINT to the CLI only (its children have their own groups)."""
        return signal_and_wait(self.popen, signal.SIGINT, timeout, self.kill)

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        # children have their own process groups; PR_SET_PDEATHSIG takes them down, but be sure
        for pid in self._known_pids():
            if pid_alive(pid):
                os.killpg(pid, signal.SIGKILL)

    def _known_pids(self) -> list[int]:
        try:
            return list(self.role_pids().values())
        except (OSError, ValueError, KeyError):
            return []


def sender_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "sender_cli", *args]


def start_sender_up(
    tmp: Path, *, demo: bool = True, timeout: float = 45, env: dict[str, str] | None = None
) -> SenderUp:
    """Run `sender up` on free ports under `tmp`; wait for the banner and origin readiness.

    The data directory is `--data-dir tmp/data`, or SENDER_DATA_DIR when `env` sets it."""
    ports: dict[str, int] = {}
    for name in ("origin", "edge", "metrics", "rtmp"):
        port = free_port()
        while port in ports.values():  # the kernel may hand the same free port out twice
            port = free_port()
        ports[name] = port
    env = env or {}
    data_dir_var = env_name(UpSettings, "data_dir")
    if data_dir_var in env:
        data_dir = Path(env[data_dir_var])
        argv = sender_argv("up", "--segment-seconds", "1")
    else:
        data_dir = tmp / "data"
        argv = sender_argv("up", "--data-dir", str(data_dir), "--segment-seconds", "1")
    argv += ["--origin-port", str(ports["origin"]), "--edge-port", str(ports["edge"])]
    argv += ["--metrics-port", str(ports["metrics"]), "--rtmp-port", str(ports["rtmp"])]
    ports["srt"] = free_udp_port()
    argv += ["--srt-port", str(ports["srt"])]
    if demo:
        argv.append("--demo")
    log_path = tmp / "sender-up.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **env},
            cwd=tmp,
        )
    up = SenderUp(
        popen,
        data_dir,
        log_path,
        origin=f"http://127.0.0.1:{ports['origin']}",
        edge=f"http://127.0.0.1:{ports['edge']}",
        metrics=f"http://127.0.0.1:{ports['metrics']}",
        rtmp_port=ports["rtmp"],
        srt_port=ports["srt"],
    )

    def banner() -> bool:
        if popen.poll() is not None:
            raise AssertionError(f"sender up exited {popen.returncode}:\n{up.log()[-3000:]}")
        return "Sender is running" in up.log()

    try:
        wait_for(banner, timeout, "the sender up banner")
        assert httpx.get(f"{up.origin}/readyz", timeout=5).status_code == 200
    except BaseException:
        up.kill()
        raise
    return up


def live_segments(base: str, slug: str = "demo") -> list[str]:
    """Segment URIs of a live media playlist (empty when not there yet)."""
    r = httpx.get(f"{base}/sender/hls/{slug}/live.m3u8", timeout=5)
    if r.status_code != 200:
        return []
    return [line for line in r.text.splitlines() if line and not line.startswith("#")]
