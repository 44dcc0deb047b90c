"""One node of the multi-node cluster, and what the harness reads of this machine's
processes and sockets (from /proc)."""

from __future__ import annotations

__all__ = ["Node", "cluster_pids_alive", "identify", "kill_pid", "source_ips"]

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests import scrape
from tests.procs import Proc, pid_alive


@dataclass
class Node:
    """One running role process and the identity it reports."""

    role: str
    proc: Proc
    node_id: str
    public_key: str

    @property
    def url(self) -> str:
        return self.proc.url

    @property
    def address(self) -> str:
        return self.url.split("://", 1)[1]

    @property
    def host(self) -> str:
        return self.address.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=kw.pop("timeout", 5), **kw)

    def json(self, path: str) -> Any:
        r = self.get(path)
        r.raise_for_status()
        return r.json()

    def metrics_text(self) -> str:
        return self.get("/metrics").text

    def exposes(self, family: str) -> bool:
        """True when `/metrics` declares `family` (even with no samples yet)."""
        return scrape.declares(self.metrics_text(), family)

    def sample(self, name: str, **labels: str) -> float | None:
        """The value of the sample `name` with exactly these labels (None when absent)."""
        return scrape.value(self.metrics_text(), name, **labels)


def identify(proc: Proc, role: str) -> Node:
    info = httpx.get(f"{proc.url}/api/v1/node", timeout=5).json()
    assert info["role"] == role, info
    return Node(role, proc, info["node_id"], info["public_key"])


def source_ips(host: str, port: int) -> set[str]:
    """Local addresses of this machine's TCP connections to host:port (from /proc/net/tcp)."""
    want = f"{_hex_ip(host)}:{port:04X}"
    out: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[2] == want and parts[3] == "01":  # ESTABLISHED
            raw = parts[1].split(":")[0]
            out.add(".".join(str(int(raw[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return out


def _hex_ip(ip: str) -> str:
    return "".join(f"{int(b):02X}" for b in reversed(ip.split(".")))


def cluster_pids_alive(marker: str) -> list[tuple[int, str]]:
    """Processes whose command line mentions `marker` (a data dir or RTMP address)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd and pid_alive(int(entry.name)):
            found.append((int(entry.name), cmd[:200]))
    return found


def kill_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
