"""nginx (sendfile, one worker) as the reference server, wrk as the load, and nginx-rtmp (RTMP in,
plain HLS out) as the reference live packager, for benches."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.child_server import ChildServer
from tests.procs import free_port
from tests.waiting import wait_for

_CONF = """daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections {connections}; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
"""


RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")

_RTMP_CONF = """load_module {module};
daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 1024; }}
rtmp {{ server {{ listen 127.0.0.1:{rtmp_port}; chunk_size 4096;
  application live {{ live on; record off; hls on; hls_path {work}/hls;
    hls_fragment {fragment}s; hls_playlist_length {playlist}s; }} }} }}
http {{ access_log off; sendfile on; tcp_nopush on;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
  server {{ listen 127.0.0.1:{http_port};
    location /hls/ {{ alias {work}/hls/; add_header Cache-Control no-cache; }} }} }}
"""


class Nginx(ChildServer):
    """nginx in the foreground with its configuration, logs and pid file under `root`."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, "127.0.0.1", "nginx")
        self.url = f"http://{self.host}:{self.port}"

    def start(self, conf: str, timeout: float = 10) -> str:
        """Write `conf` (listening on `self.port` for HTTP), run nginx, wait until it answers;
        returns its base URL."""
        path = self.root / "nginx.conf"
        self.root.mkdir(parents=True, exist_ok=True)
        path.write_text(conf)
        self.spawn([shutil.which("nginx") or "nginx", "-p", str(self.root), "-c", str(path)])
        wait_for(self._answers, timeout, f"nginx answering on {self.url}")
        return self.url

    def _answers(self) -> bool:
        if self.popen is not None and self.popen.poll() is not None:
            raise AssertionError(f"nginx exited: {self.log()[-2000:]}")
        httpx.get(self.url, timeout=1)
        return True


@contextmanager
def nginx_rtmp_hls(fragment_seconds: int = 2) -> Iterator[tuple[str, str]]:
    """nginx-rtmp taking RTMP at `rtmp://.../live/{name}` and serving `/hls/{name}.m3u8`
    (Debian's libnginx-mod-rtmp); yields (rtmp base URL, HTTP base URL)."""
    if not RTMP_MODULE.exists():
        raise FileNotFoundError(f"{RTMP_MODULE} (apt-get install libnginx-mod-rtmp)")
    rtmp_port = free_port()
    with tempfile.TemporaryDirectory() as work:
        ngx = Nginx(Path(work))
        (ngx.root / "hls").mkdir()
        for p in [ngx.root, ngx.root / "hls"]:
            p.chmod(0o777)  # the worker runs as nobody and writes the fragments
        conf = _RTMP_CONF.format(
            module=RTMP_MODULE,
            work=work,
            rtmp_port=rtmp_port,
            http_port=ngx.port,
            fragment=fragment_seconds,
            playlist=fragment_seconds * 6,
        )
        try:
            base = ngx.start(conf)
            yield f"rtmp://127.0.0.1:{rtmp_port}/live", base
        finally:
            ngx.stop()


@contextmanager
def nginx_serving(root: Path, connections: int = 1024) -> Iterator[str]:
    """Run nginx serving `root` on a free loopback port; yields its base URL."""
    with tempfile.TemporaryDirectory() as work:
        ngx = Nginx(Path(work))
        for p in [root, *root.parents]:
            if p == Path("/"):
                break
            p.chmod(p.stat().st_mode | 0o005)  # nginx workers run as nobody
        conf = _CONF.format(work=work, port=ngx.port, root=root, connections=connections)
        try:
            yield ngx.start(conf)
        finally:
            ngx.stop()


def wrk_rate(url: str, seconds: int, connections: int = 32) -> float:
    """Requests per second wrk reaches against `url` (2 threads, bounded run)."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else 0.0
