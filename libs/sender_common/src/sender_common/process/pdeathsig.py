"""Make a child die with its parent (Linux PR_SET_PDEATHSIG)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def child_setup(parent_pid: int | None = None) -> None:
    """preexec_fn: ask the kernel to SIGKILL this child when the parent thread exits.

    Give the parent's pid (``functools.partial(child_setup, os.getpid())``) so that a parent
    that died between fork and prctl is noticed even when the parent is PID 1 (a container
    whose entry point spawns the child) or the orphan goes to a subreaper.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    ppid = os.getppid()
    if ppid != parent_pid if parent_pid is not None else ppid == 1:
        os._exit(1)  # the parent already died between fork and prctl
