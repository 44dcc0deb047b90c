"""External tools in tests: skip when one is genuinely absent, and ffprobe on a URL or a file."""

from __future__ import annotations

__all__ = ["ffprobe", "require_tool"]

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sender_common.ffmpeg import resolve_ffmpeg, resolve_ffprobe

SYSTEM_DEPS = "scripts/install-system-deps"


def require_tool(tool: str | Path, install: str = SYSTEM_DEPS) -> str:
    """The path of `tool` (a name on PATH or an absolute path); skips the test when it is absent.

    Skips are failures under `CI=true` (conftest.py), where every tool is installed.
    """
    path = Path(tool)
    found = (str(path) if path.exists() else None) if path.is_absolute() else shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed ({install})")
    return found


def ffprobe(target: str | Path, *options: str, timeout: float = 60) -> dict[str, Any]:
    """`ffprobe -v error OPTIONS -of json TARGET` (the ffprobe beside our ffmpeg), parsed."""
    exe = resolve_ffprobe(resolve_ffmpeg())
    assert exe is not None, "ffprobe is not installed next to ffmpeg nor on PATH"
    argv = [exe, "-v", "error", *options, "-of", "json", str(target)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"ffprobe {target} failed: {done.stderr[-2000:]}"
    out: dict[str, Any] = json.loads(done.stdout)
    return out
