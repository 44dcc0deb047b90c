"""Publish, leave, publish again: no ffmpeg is left behind and open fds do not pile up."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.procs import (
    Proc,
    children_of,
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
    stream_status,
)
from tests.waiting import wait_for

CYCLES = 5
FD_MARGIN = 8  # log rotation, sqlite journal, a keep-alive socket: a few, not one per cycle


def _open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _idle(origin: Proc, slug: str) -> bool:
    st = stream_status(origin.url, slug)
    return (
        st["state"] == "waiting_source" and st["publisher"] is None and not children_of(origin.pid)
    )


def _one_cycle(origin: Proc, slug: str, key: str, generation: int) -> None:
    """Publish (at 4x real time: the first segment sooner) until ffmpeg writes segments of
    `generation`, then drop the publisher."""
    pub = publish(rtmp_url(origin, key), readrate=4)
    try:
        st = wait_for(
            lambda: (
                (s := stream_status(origin.url, slug))["state"] == "live"
                and s["generation"] == generation
                and s["ffmpeg"]["pid"]
                and s
            ),
            30,
            f"generation {generation} live",
        )
        gen_dir = origin.data_dir / "spool" / slug / str(generation)
        wait_for(lambda: list(gen_dir.rglob("seg*.m4s")), 30, f"generation {generation} segments")
        assert st["ffmpeg"]["pid"] in children_of(origin.pid)
    finally:
        stop_publisher(pub)
    wait_for(lambda: _idle(origin, slug), 20, f"generation {generation} ended, origin idle")


def test_publish_cycles_leave_no_children_and_no_fds(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o", settings={"reconnect_grace_seconds": 0})
    slug = "cycles"
    key = create_endpoint(origin.url, slug)
    fds: list[int] = []
    try:
        for generation in range(1, CYCLES + 1):
            _one_cycle(origin, slug, key, generation)
            fds.append(_open_fds(origin.pid))
        print(f"origin open fds after each cycle: {fds}")
        assert not children_of(origin.pid)
        assert fds[-1] - fds[1] <= FD_MARGIN, f"open fds grew across cycles: {fds}"
        gens = httpx.get(f"{origin.url}/api/v1/endpoints/{slug}/generations", timeout=5).json()
        assert len(gens) == CYCLES
    finally:
        origin.stop()
