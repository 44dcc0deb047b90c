"""Under CI=true a skip is a failure; elsewhere a missing tool may still skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, ci: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_demo.py").write_text(
        "import pytest\n\n"
        "def test_tool():\n    pytest.skip('tool missing')\n\n"
        "@pytest.mark.xfail(reason='known')\ndef test_known():\n    assert False\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_skip_fails_under_ci(tmp_path: Path) -> None:
    r = _run(tmp_path, "true")
    assert r.returncode == 1
    assert "1 failed" in r.stdout and "1 xfailed" in r.stdout
    assert "skipped under CI=true" in r.stdout and "tool missing" in r.stdout


def test_skip_is_a_skip_elsewhere(tmp_path: Path) -> None:
    r = _run(tmp_path, None)
    assert r.returncode == 0 and "1 skipped" in r.stdout


def test_skip_fails_under_ci_on_xdist_workers(tmp_path: Path) -> None:
    """`make test` runs on pytest-xdist workers: each enforces it, and the run fails."""
    r = _run(tmp_path, "true", "-n", "2", "--dist", "loadfile")
    assert r.returncode == 1, r.stdout
    assert "1 failed" in r.stdout and "1 xfailed" in r.stdout
    assert "skipped under CI=true" in r.stdout and "tool missing" in r.stdout
