"""A server binary (redis-server, victoria-metrics, nginx) run by a test as a child process."""

from __future__ import annotations

__all__ = ["ChildServer"]

import signal
import subprocess
from pathlib import Path

from tests.procs import free_port, signal_and_wait, spawn


class ChildServer:
    """On a loopback port of its own (never a system service), its output in `log_path`."""

    def __init__(self, root: Path, host: str, name: str) -> None:
        self.root = root
        self.host = host
        self.port = free_port(host)
        self.log_path = root / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        """Start `argv` with its output appended to the log (the root is created first)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = spawn(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        return self.popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL after `timeout`; a stopped server may be started again."""
        if self.popen is not None:
            signal_and_wait(self.popen, signal.SIGTERM, timeout, self.popen.kill)
            self.popen.wait(10)
            self.popen = None
