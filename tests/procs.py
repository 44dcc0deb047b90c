"""Real role processes for tests: free ports, start, wait ready, stop; publishers; polling.

Every process a test starts goes through `spawn`: the kernel kills it when the test process
dies, even by SIGKILL, so a killed run leaves no role, publisher or player behind (a role's
own ffmpeg children die with the role the same way)."""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sender_common.ffmpeg import build_test_publisher_command, resolve_ffmpeg
from sender_common.launch import uvicorn_argv
from sender_common.process.pdeathsig import child_setup
from sender_common.settings import CommonSettings
from sender_common.settings_env import role_env
from tests.waiting import wait_for

SEGMENT_SECONDS = "1"
# what a test sets of a role: field values of its settings model, or a settings object
RoleValues = Mapping[str, object] | CommonSettings | None


def die_with_this_process() -> Callable[[], None] | None:
    """A preexec_fn: SIGKILL the child when this process dies (PR_SET_PDEATHSIG). The kernel
    ties it to the spawning thread, so only from the main thread, which lives as long as the
    process (None elsewhere: a worker thread's exit must not kill the child)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return functools.partial(child_setup, os.getpid())


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen(argv, **kwargs)` for a child that dies with this process."""
    return subprocess.Popen(list(argv), preexec_fn=die_with_this_process(), **kwargs)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    role: str
    url: str
    popen: subprocess.Popen[bytes]
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    settings: dict[str, object] = field(default_factory=dict)  # as `start_role` was given
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 10) -> int | None:
        return signal_and_wait(self.popen, signal.SIGTERM, timeout, self.kill)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def signal_and_wait(
    popen: subprocess.Popen[bytes],
    sig: signal.Signals,
    timeout: float,
    kill: Callable[[], None],
) -> int | None:
    """Ask a process to stop with `sig`; `kill` it if it has not exited after `timeout`."""
    if popen.poll() is None:
        popen.send_signal(sig)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            kill()
    return popen.returncode


def start_role(
    role: str,
    data_dir: Path,
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    settings: RoleValues = None,
    ready: bool = True,
    timeout: float = 30,
    ssl: tuple[Path, Path] | None = None,
    python: Path | None = None,
) -> Proc:
    """Start `uvicorn --factory sender_<role>.main:create_app` and wait for /readyz (with
    `python`, another interpreter than this one: bench/image_venv.py's).

    Its environment is made here, from test defaults and then `settings`: field values of
    the role's settings model (an unknown field is refused), or a settings object of it
    (`given(OriginSettings, ...)`), whose explicitly set fields are taken."""
    port = port or free_port(host)
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **role_env_for_tests(role, data_dir, host, port, settings)}
    argv = uvicorn_argv(role, host, port, "warning")
    if python is not None:
        argv[0] = str(python)
    scheme = "http"
    if ssl is not None:
        argv += ["--ssl-certfile", str(ssl[0]), "--ssl-keyfile", str(ssl[1])]
        scheme = "https"
    log_path = data_dir / f"{role}-{port}.log"
    with log_path.open("ab") as log:
        popen = spawn(argv, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    proc = Proc(role, f"{scheme}://{host}:{port}", popen, data_dir, full_env, log_path)
    proc.settings = field_values(settings)
    if ready:
        wait_ready(proc, timeout)
    return proc


def field_values(settings: RoleValues) -> dict[str, object]:
    """`settings` as field values: a mapping as it is, a settings object's explicit fields."""
    if isinstance(settings, CommonSettings):
        return {name: getattr(settings, name) for name in settings.model_fields_set}
    return dict(settings or {})


def role_env_for_tests(
    role: str, data_dir: Path, host: str, port: int, settings: RoleValues = None
) -> dict[str, str]:
    """The SENDER_* variables of a role process in tests: fast HLS timing, then `settings`."""
    # upstreams in tests are on other loopback addresses and ports
    upstreams = {"upstream_allow": ["127.0.0.0/8"]} if role == "edge" else {}
    return role_env(
        role,
        **{
            "data_dir": data_dir,
            "host": host,
            "http_port": port,
            "hls_segment_seconds": SEGMENT_SECONDS,
            "hls_window_segments": 6,
            **upstreams,
            **field_values(settings),
        },
    )


def wait_ready(proc: Proc, timeout: float = 30) -> None:
    def _ready() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"{proc.role} exited early:\n{proc.log()[-3000:]}")
        return httpx.get(f"{proc.url}/readyz", timeout=2, verify=False).status_code == 200

    wait_for(_ready, timeout, f"{proc.role} ready")


def start_origin(data_dir: Path, *, settings: RoleValues = None, **kw: Any) -> Proc:
    """An origin process on a free RTMP port (`extra["rtmp_port"]`), reconnect grace 1 s."""
    rtmp_port = free_port()
    values = {"rtmp_port": rtmp_port, "reconnect_grace_seconds": 1, **field_values(settings)}
    proc = start_role("origin", data_dir, settings=values, **kw)
    proc.extra["rtmp_port"] = rtmp_port
    return proc


def rtmp_url(origin: Proc, key: str) -> str:
    return f"rtmp://127.0.0.1:{origin.extra['rtmp_port']}/live/{key}"


def create_endpoint(base_url: str, slug: str, **fields: object) -> str:
    """Create an endpoint on an origin; returns its stream key."""
    r = httpx.post(f"{base_url}/api/v1/endpoints", json={"slug": slug, **fields}, timeout=10)
    r.raise_for_status()
    return str(r.json()["stream_key"])


def stream_status(base_url: str, slug: str) -> dict[str, Any]:
    """An origin's `GET /api/v1/streams/{slug}`."""
    r = httpx.get(f"{base_url}/api/v1/streams/{slug}", timeout=5)
    r.raise_for_status()
    status: dict[str, Any] = r.json()
    return status


def stream_state(base_url: str, slug: str) -> str:
    """The `state` of an origin's stream `slug` (`live`, `waiting_source`, ...)."""
    return str(stream_status(base_url, slug)["state"])


def publish(
    url: str, *, duration: float | None = None, rate: int = 15, readrate: float | None = None
) -> subprocess.Popen[bytes]:
    """A real ffmpeg test-pattern publisher (320x180, ultrafast) in its own process group, in
    real time or, with `readrate`, that many times faster (the same media, sooner)."""
    argv = build_test_publisher_command(
        resolve_ffmpeg(),
        url,
        gop_seconds=float(SEGMENT_SECONDS),
        duration=duration,
        rate=rate,
        realtime=readrate is None,
    )
    if readrate is not None:  # -readrate is an input option: before each lavfi input
        inputs = [i for i, arg in enumerate(argv) if arg == "-f" and argv[i + 1] == "lavfi"]
        for i in reversed(inputs):
            argv[i:i] = ["-readrate", f"{readrate:g}"]
    return start_publisher(argv)


def start_publisher(argv: list[str]) -> subprocess.Popen[bytes]:
    """An ffmpeg publisher `argv` in its own process group (stderr kept for diagnostics)."""
    return spawn(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop_publisher(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)


def children_of(pid: int) -> list[int]:
    """Direct and indirect child pids of `pid` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time of `pid` in seconds (0.0 once it is gone). With `children`, also
    that of its live descendants and of the children each of them has reaped (cutime, cstime):
    a process family's whole CPU, exited ffmpegs included."""
    total = 0
    for p in [pid, *children_of(pid)] if children else [pid]:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # utime stime (cutime cstime): fields 14-17 of proc(5), in clock ticks
        total += sum(int(v) for v in fields[11 : 15 if children else 13])
    return total / os.sysconf("SC_CLK_TCK")


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
