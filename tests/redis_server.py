"""A throwaway redis-server on loopback: its own port and directory, no persistence."""

from __future__ import annotations

__all__ = ["RedisServer", "redis_server_executable"]

import shutil
from pathlib import Path

import redis

from tests.child_server import ChildServer
from tests.waiting import wait_for


def redis_server_executable() -> str | None:
    return shutil.which("redis-server")


class RedisServer(ChildServer):
    """`redis-server` as a child process (never a system service); `url` for the roles."""

    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        super().__init__(root, host, "redis")
        self.url = f"redis://{host}:{self.port}/0"

    def start(self, timeout: float = 15) -> RedisServer:
        exe = redis_server_executable()
        if exe is None:
            raise RuntimeError("redis-server is not installed (scripts/install-system-deps)")
        argv = [
            exe, "--bind", self.host, "--port", str(self.port), "--dir", str(self.root),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "",
        ]  # fmt: skip
        popen = self.spawn(argv)

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
