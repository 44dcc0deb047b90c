"""Shared fixtures: the repo's test helpers importable as `tests.*`, chromium, an origin."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Every origin a test starts listens for SRT on a port of its own unless the test names one
# (two origins in one run would otherwise both ask for 8890/udp).
os.environ.setdefault("SENDER_SRT_PORT", "0")

from tests.browser import chromium  # noqa: E402  (after the path set-up above)
from tests.procs import Proc, start_origin  # noqa: E402


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    """Debian's chromium for one test module (skipped where chromium is not installed)."""
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def origin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proc]:
    """An origin process for one test module, with the module's `ORIGIN_SETTINGS` if any."""
    settings: dict[str, object] = getattr(request.module, "ORIGIN_SETTINGS", {})
    proc = start_origin(tmp_path_factory.mktemp("origin"), settings=settings)
    try:
        yield proc
    finally:
        proc.stop()
