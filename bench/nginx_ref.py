"""nginx (sendfile, one worker) as the reference server, wrk as the load, and nginx-rtmp (RTMP in,
plain HLS out) as the reference live packager, for benches."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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


def _wait_http(base: str) -> None:
    """Until `base` answers (at most 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(base, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)


@contextmanager
def nginx_rtmp_hls(fragment_seconds: int = 2) -> Iterator[tuple[str, str]]:
    """nginx-rtmp taking RTMP at `rtmp://.../live/{name}` and serving `/hls/{name}.m3u8`
    (Debian's libnginx-mod-rtmp); yields (rtmp base URL, HTTP base URL)."""
    from tests.procs import free_port

    if not RTMP_MODULE.exists():
        raise FileNotFoundError(f"{RTMP_MODULE} (apt-get install libnginx-mod-rtmp)")
    rtmp_port, http_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "hls").mkdir()
        for p in [Path(work), Path(work) / "hls"]:
            p.chmod(0o777)  # the worker runs as nobody and writes the fragments
        conf = Path(work) / "nginx.conf"
        conf.write_text(
            _RTMP_CONF.format(
                module=RTMP_MODULE,
                work=work,
                rtmp_port=rtmp_port,
                http_port=http_port,
                fragment=fragment_seconds,
                playlist=fragment_seconds * 6,
            )
        )
        ngx = subprocess.Popen([shutil.which("nginx") or "nginx", "-p", work, "-c", str(conf)])
        base = f"http://127.0.0.1:{http_port}"
        try:
            _wait_http(base)
            yield f"rtmp://127.0.0.1:{rtmp_port}/live", base
        finally:
            ngx.terminate()
            ngx.wait(10)


@contextmanager
def nginx_serving(root: Path, connections: int = 1024) -> Iterator[str]:
    """Run nginx serving `root` on a free loopback port; yields its base URL."""
    from tests.procs import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        conf = Path(work) / "nginx.conf"
        conf.write_text(_CONF.format(work=work, port=port, root=root, connections=connections))
        for p in [root, *root.parents]:
            if p == Path("/"):
                break
            p.chmod(p.stat().st_mode | 0o005)  # nginx workers run as nobody
        ngx = subprocess.Popen([shutil.which("nginx") or "nginx", "-p", work, "-c", str(conf)])
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_http(base)
            yield base
        finally:
            ngx.terminate()
            ngx.wait(10)


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
