"""child_setup: a child whose parent is alive runs; one that sees another parent exits."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

from sender_common.process.pdeathsig import child_setup


def _run(preexec: functools.partial[None]) -> int:
    return subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=preexec, timeout=30, check=False
    ).returncode


def test_child_of_a_live_parent_runs() -> None:
    assert _run(functools.partial(child_setup, os.getpid())) == 0


def test_child_seeing_another_parent_exits() -> None:
    # what a child sees when its parent died between fork and prctl: a different parent pid
    assert _run(functools.partial(child_setup, os.getpid() + 1_000_000)) == 1
