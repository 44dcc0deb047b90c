"""The supervised runner with a real fake child (a Python process)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

from sender_common.process import ProcessState, SupervisedProcess
from tests.procs import pid_alive
from tests.waiting import wait_for_async


async def test_crash_restarts_with_backoff(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    script = (
        f"import sys; p=open({str(marker)!r},'a'); p.write('x'); p.close(); "
        "sys.stderr.write('boom\\n'); sys.exit(3)"
    )
    proc = SupervisedProcess(
        "crasher",
        lambda: [sys.executable, "-c", script],
        backoff_initial=0.01,
        backoff_max=0.05,
        restart_budget=3,
    )
    proc.start()
    await asyncio.wait_for(proc.wait(), 20)
    assert proc.state == ProcessState.failed
    assert marker.read_text() == "xxxx"  # first run + 3 restarts
    assert proc.restarts == 3
    assert proc.last_returncode == 3
    assert "boom" in proc.tail()


async def test_stop_leaves_no_process_even_if_sigterm_ignored(tmp_path: Path) -> None:
    script = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print('ready', file=sys.stderr, flush=True); time.sleep(60)"
    )
    proc = SupervisedProcess("stubborn", lambda: [sys.executable, "-c", script], stop_timeout=0.5)
    proc.start()
    await wait_for_async(lambda: "ready" in proc.tail(), 10, "the child to print ready")
    pid = proc.pid
    assert pid is not None
    group = [p for p in os.listdir("/proc") if p.isdigit() and _pgid(int(p)) == pid]
    assert len(group) >= 2
    await proc.stop()
    assert proc.state == ProcessState.stopped
    await wait_for_async(
        lambda: not any(pid_alive(int(p)) for p in group), 10, "the whole process group to exit"
    )


async def test_clean_exit_is_not_restarted() -> None:
    proc = SupervisedProcess("once", lambda: [sys.executable, "-c", "pass"])
    proc.start()
    await asyncio.wait_for(proc.wait(), 10)
    assert proc.state == ProcessState.exited and proc.restarts == 0


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_a_failing_spawn_leaks_no_pipe() -> None:
    def bad_argv(fds: list[int]) -> list[str]:
        raise ValueError("no command")

    before = _open_fds()
    proc = SupervisedProcess(
        "noargv", lambda: [], output_pipes=3, piped_argv=bad_argv, restart_budget=0
    )
    proc.start()
    with contextlib.suppress(ValueError):
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.pipes == []
    assert _open_fds() == before


async def test_read_ends_the_spawn_hook_did_not_take_are_closed() -> None:
    async def hook(_: asyncio.subprocess.Process) -> None:
        raise RuntimeError("hook failed before taking the pipes")

    before = _open_fds()
    proc = SupervisedProcess(
        "hooked",
        lambda: [],
        output_pipes=3,
        piped_argv=lambda fds: [sys.executable, "-c", "pass"],
        on_spawn=hook,
        restart_budget=0,
    )
    proc.start()
    with contextlib.suppress(RuntimeError):
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.pipes == []
    # the child's stderr pipe closes once it is reaped; the three read ends must close too
    await wait_for_async(lambda: _open_fds() == before, 5, "no read end left open")
