"""A full spool: the origin stays up, says so, and recovers once space is back.

The spool is a 3 MiB tmpfs mounted for the test (root only; skipped where mounting is not
permitted). A live publish runs, then a ballast file takes every free byte.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import scrape
from tests.procs import (
    Proc,
    children_of,
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
SLUG = "full"


@pytest.fixture
def small_spool(tmp_path: Path) -> Iterator[Path]:
    """`tmp_path/o/spool` as a 3 MiB tmpfs, unmounted at teardown."""
    spool = tmp_path / "o" / "spool"
    spool.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(spool)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        yield spool
    finally:
        subprocess.run(["umount", "-l", str(spool)], check=False)


def _fill(spool: Path) -> Path:
    """Write a ballast file until the filesystem refuses (ENOSPC)."""
    ballast = spool / "ballast"
    chunk = b"\0" * 65536
    with ballast.open("wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(chunk)
            f.flush()
    return ballast


def _ready(origin: Proc) -> httpx.Response:
    return httpx.get(f"{origin.url}/readyz", timeout=5)


def _segments(spool: Path) -> set[str]:
    return {p.name for p in (spool / SLUG).rglob("seg*.m4s")}


def _metric(origin: Proc, name: str) -> float:
    found = scrape.value(scrape.scrape(origin.url), name)
    assert found is not None, f"{name} missing from the origin's /metrics"
    return found


def test_full_spool_is_reported_and_recovers(small_spool: Path) -> None:
    origin = start_origin(small_spool.parent, settings={"reconnect_grace_seconds": 0})
    pub = publish(rtmp_url(origin, create_endpoint(origin.url, SLUG)))
    try:
        wait_for(lambda: len(_segments(small_spool)) >= 2, 30, "segments on the small spool")
        assert _ready(origin).json()["checks"]["spool_writable"] is True
        assert _metric(origin, "sender_origin_spool_free_bytes") > 1024 * 1024

        ballast = _fill(small_spool)
        not_ready = wait_for(
            lambda: (r := _ready(origin)).status_code == 503 and r, 10, "not ready"
        )
        assert not_ready.json()["checks"]["spool_writable"] is False
        assert _metric(origin, "sender_origin_spool_free_bytes") < 1024 * 1024
        assert httpx.get(f"{origin.url}/healthz", timeout=5).status_code == 200
        status = httpx.get(f"{origin.url}/api/v1/streams/{SLUG}", timeout=5).json()
        assert origin.popen.poll() is None
        # The publish is still accepted: its ffmpeg is alive (or being restarted), not lost.
        assert status["state"] in ("live", "error")
        assert status["publisher"] is not None

        before = _segments(small_spool)
        ballast.unlink()
        wait_for(lambda: _ready(origin).status_code == 200, 10, "ready again")
        wait_for(
            lambda: len(_segments(small_spool) - before) >= 2, 30, "new segments after recovery"
        )
        status = httpx.get(f"{origin.url}/api/v1/streams/{SLUG}", timeout=5).json()
        assert status["state"] == "live"
        assert status["ffmpeg"]["pid"] in children_of(origin.pid)
        playlist = httpx.get(f"{origin.url}/sender/hls/{SLUG}/live.m3u8", timeout=5)
        assert playlist.status_code == 200 and "#EXTINF" in playlist.text
    finally:
        stop_publisher(pub)
        origin.stop()
