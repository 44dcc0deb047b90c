"""Shared fixtures: the repo's test helpers importable as `tests.procs`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Every origin a test starts listens for SRT on a port of its own unless the test names one
# (two origins in one run would otherwise both ask for 8890/udp).
os.environ.setdefault("SENDER_SRT_PORT", "0")
