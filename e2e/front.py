"""nginx in front of metrics replicas, round-robin, as a Kubernetes Service spreads requests.

A replica that refuses connections (killed) is skipped for the next one; nothing is sticky.
"""

from __future__ import annotations

__all__ = ["RoundRobinFront"]

import shutil
from pathlib import Path

import httpx

from tests.child_server import ChildServer
from tests.waiting import wait_for

_CONF = """daemon off; worker_processes 1; pid {root}/nginx.pid; error_log {root}/error.log;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {root}/body; proxy_temp_path {root}/proxy;
  client_max_body_size 16m; client_body_buffer_size 1m;
  upstream replicas {{ {servers} }}
  server {{
    listen {host}:{port};
    location / {{
      proxy_pass http://replicas;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 1s;
      proxy_buffering off;
    }}
  }}
}}
"""


class RoundRobinFront(ChildServer):
    def __init__(self, root: Path, host: str, upstreams: list[str]) -> None:
        super().__init__(root, host, "nginx")
        self.url = f"http://{host}:{self.port}"
        self.upstreams = upstreams  # host:port of each replica

    @staticmethod
    def executable() -> str | None:
        return shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )

    def start(self, timeout: float = 10) -> RoundRobinFront:
        exe = self.executable()
        if exe is None:
            raise RuntimeError("nginx is not installed (scripts/install-system-deps)")
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o777)  # the worker runs as nobody and buffers bodies here
        servers = " ".join(f"server {u} max_fails=1 fail_timeout=2s;" for u in self.upstreams)
        conf = self.root / "nginx.conf"
        conf.write_text(
            _CONF.format(root=self.root, host=self.host, port=self.port, servers=servers)
        )
        self.spawn([exe, "-p", str(self.root), "-c", str(conf)])
        wait_for(self._answers, timeout, "nginx in front of the metrics replicas")
        return self

    def _answers(self) -> bool:
        httpx.get(f"{self.url}/healthz", timeout=1)
        return True

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen else 0
