"""A throwaway redis-server on loopback: its own port and directory, no persistence."""

from __future__ import annotations

__all__ = ["RedisServer", "redis_server_executable"]

import shutil
import signal
import subprocess
from pathlib import Path

import redis

from tests.procs import free_port, signal_and_wait
from tests.waiting import wait_for


def redis_server_executable() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """`redis-server` as a child process (never a system service); `url` for the roles."""

    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        self.root = root
        self.host = host
        self.port = free_port(host)
        self.url = f"redis://{host}:{self.port}/0"
        self.log_path = root / "redis.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> RedisServer:
        exe = redis_server_executable()
        if exe is None:
            raise RuntimeError("redis-server is not installed (scripts/install-system-deps)")
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [
            exe, "--bind", self.host, "--port", str(self.port), "--dir", str(self.root),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            popen = self.popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

        def answers() -> bool:
            assert popen.poll() is None, f"redis-server exited: {self.log_path.read_text()[-2000:]}"
            try:
                return bool(self.client().ping())
            except redis.ConnectionError:
                return False

        try:
            wait_for(answers, timeout, "redis-server to answer PING", interval=0.05)
        except AssertionError:
            self.stop()
            raise
        return self

    def client(self) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, socket_timeout=5, decode_responses=True)

    def cpu_seconds(self) -> float:
        """User + system CPU the server has used so far (INFO cpu)."""
        info = self.client().info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    def stop(self) -> None:
        if self.popen is not None:
            signal_and_wait(self.popen, signal.SIGTERM, 10, self.popen.kill)
            self.popen.wait(10)
            self.popen = None
