"""The player's TypeScript unit tests (`npm test` in player/: node's test runner on an esbuild
bundle): the vsid rules and the hls.js request hook, including LL-HLS blocking-reload URLs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.tools import require_tool

PLAYER = Path(__file__).resolve().parents[2] / "player"


def test_npm_test_passes() -> None:
    npm = require_tool("npm", "apt-get install npm")
    assert (PLAYER / "node_modules" / "esbuild").is_dir(), (
        "player/node_modules missing: run `make player` (`make setup` and `make test` run it)"
    )
    run = subprocess.run(
        [npm, "test", "--silent"], cwd=PLAYER, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout, run.stdout[-3000:]
