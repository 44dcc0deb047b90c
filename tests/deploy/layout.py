"""Where deploy/ keeps things and what the roles' images and manifests promise, shared by the
deploy tests; and the external tools they run (from PATH or this interpreter's scripts)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"

ROLES = ("origin", "edge", "metrics")
HTTP_PORT = {"origin": 8080, "edge": 8081, "metrics": 8082}
RTMP_PORT = 1935
SRT_PORT = 8890
DATA_DIR = "/var/lib/sender"


def tool(name: str) -> str | None:
    """A tool from PATH or from this interpreter's scripts dir (pip-installed binaries)."""
    found = shutil.which(name)
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return str(candidate)
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else None


def run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A tool's run with its output captured as text (30 s at most; the exit code is the
    caller's to check)."""
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False, cwd=cwd)


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))
