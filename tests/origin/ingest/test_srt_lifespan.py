"""The app lifespan owns the SRT listener: its thread starts with the first caller (libsrt is
loaded then) and is gone after the app."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from sender_origin.main import create_app
from sender_origin.settings import OriginSettings
from tests.origin.ingest.srt_caller import free_udp_port, srt_call
from tests.procs import free_port


def python_threads() -> set[str]:
    """Threads Python started (a `Dummy-N` is libsrt's own thread calling into Python)."""
    return {t.name for t in threading.enumerate() if not t.name.startswith("Dummy-")}


def test_listener_thread_and_sockets_end_with_the_app(tmp_path: Path) -> None:
    port = free_udp_port()
    settings = OriginSettings(data_dir=tmp_path, rtmp_port=free_port(), srt_port=port)
    before_threads = python_threads()
    for i in range(2):  # a second run in the same process finds everything released
        with TestClient(create_app(settings)) as client:
            key = client.post("/api/v1/endpoints", json={"slug": f"lf{i}"}).json()["stream_key"]
            assert srt_call(port, f"publish:live/{key}x").reason == 1401
            fds_running = len(os.listdir("/proc/self/fd"))
            assert "srt-receive" in {t.name for t in threading.enumerate()}
            manifest = client.get("/api/v1/node").json()["manifest"]
            assert manifest["srt_port"] == port
            assert "srt_ingest" in manifest["capabilities"]
        assert python_threads() <= before_threads | {"asyncio_0"}
        assert "srt-receive" not in python_threads()
        assert len(os.listdir("/proc/self/fd")) < fds_running
