"""A killed test run leaves no process behind: a pytest-like parent starts an origin (which
starts its ffmpeg) and a publisher through `tests.procs`, then dies by SIGKILL; the kernel
kills its children (PR_SET_PDEATHSIG), and the origin's ffmpeg dies with the origin."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.procs import pid_alive, spawn
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent

# an origin (with its ffmpeg) and a publisher, started through `tests.procs`
FAMILY = """
import sys
from pathlib import Path
from tests.procs import children_of, create_endpoint, publish, rtmp_url, start_origin
from tests.procs import stream_state
from tests.waiting import wait_for

def start_family(data_dir):
    origin = start_origin(data_dir)
    key = create_endpoint(origin.url, "orphans")
    pub = publish(rtmp_url(origin, key))
    wait_for(lambda: stream_state(origin.url, "orphans") == "live", 60, "live")
    kids = wait_for(lambda: children_of(origin.pid), 30, "the origin's ffmpeg")
    return [origin.pid, pub.pid, *kids]
"""

PARENT = (
    FAMILY
    + """
print(*start_family(Path(sys.argv[1])), flush=True)
sys.stdin.read()  # until killed
"""
)

# the same family started by a test on a pytest-xdist worker (what `make test` runs): the pids
# go to a file, since a worker's output reaches the controller only when the test ends
XDIST_TEST = (
    FAMILY
    + """
def test_family(tmp_path):
    pids = start_family(tmp_path / "origin")
    out = Path(PIDS)
    out.with_suffix(".tmp").write_text(" ".join(map(str, pids)))
    out.with_suffix(".tmp").rename(out)
    sys.stdin.read()  # until killed
"""
)


PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "1"]


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "gone"


def _killed_takes_down(parent: subprocess.Popen[bytes], pids: list[int]) -> None:
    """SIGKILL `parent`; every process of the family goes with it."""
    parent.send_signal(signal.SIGKILL)
    parent.wait(30)
    wait_for(
        lambda: not any(pid_alive(p) for p in pids),
        30,
        "the origin, its ffmpeg and the publisher gone",
    )


def _reap(parent: subprocess.Popen[bytes], pids: list[int]) -> None:
    """Nothing should be left; if something is, do not leave it running."""
    if parent.poll() is None:
        parent.kill()
        parent.wait(30)
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_sigkill_of_the_test_process_takes_its_roles_down(tmp_path: Path) -> None:
    parent = spawn(
        [sys.executable, "-c", PARENT, str(tmp_path / "origin")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    pids: list[int] = []
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline().decode()
        assert line.strip(), f"the parent exited early ({parent.wait(30)})"
        pids = [int(p) for p in line.split()]
        origin, _publisher, *packagers = pids
        assert any(_name(p) == "ffmpeg" for p in packagers), [_name(p) for p in packagers]
        assert all(pid_alive(p) for p in pids)

        _killed_takes_down(parent, pids)
        assert not pid_alive(origin)
    finally:
        _reap(parent, pids)


def test_sigkill_of_an_xdist_run_takes_its_workers_roles_down(tmp_path: Path) -> None:
    pids_file = tmp_path / "pids.txt"
    (tmp_path / "test_family.py").write_text(f"PIDS = {str(pids_file)!r}\n{XDIST_TEST}")
    controller = spawn(
        [*PYTEST, "--rootdir", str(tmp_path), str(tmp_path / "test_family.py")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pids: list[int] = []
    try:
        wait_for(lambda: pids_file.exists() or controller.poll() is not None, 120, "the pids")
        assert pids_file.exists(), f"the run ended early ({controller.returncode})"
        pids = [int(p) for p in pids_file.read_text().split()]
        assert any(_name(p) == "ffmpeg" for p in pids[2:]), [_name(p) for p in pids]
        _killed_takes_down(controller, pids)
    finally:
        _reap(controller, pids)
