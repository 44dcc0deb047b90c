"""The origin's children are one list, run the same way standalone and mounted in a host."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sender_origin.main import create_app, mount_origin
from sender_origin.settings import OriginSettings
from tests.procs import free_port, start_origin

EXPECTED = [
    "database",
    "media_sessions",
    "ingest",
    "srt_ingest",
    "stats",
    "retention",
    "webrtc",
    "viewers-sweep",
]


def test_standalone_process_runs_the_declared_children(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o")
    try:
        node = httpx.get(f"{origin.url}/api/v1/node", timeout=5).json()
        assert node["role"] == "origin"
        assert node["manifest"]["children"] == EXPECTED
        assert node["manifest"]["running_children"] == EXPECTED
    finally:
        origin.stop()


def test_in_process_app_and_host_mount_run_the_same_list(tmp_path: Path) -> None:
    settings = OriginSettings(data_dir=tmp_path / "a", rtmp_port=free_port())
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/node").json()["manifest"]["running_children"] == EXPECTED

    host = FastAPI()

    @host.get("/host-own")
    def own() -> dict[str, str]:
        return {"ok": "yes"}

    runtime = mount_origin(host, OriginSettings(data_dir=tmp_path / "b", rtmp_port=free_port()))
    with TestClient(host) as client:
        assert client.get("/host-own").json() == {"ok": "yes"}
        assert runtime.started == EXPECTED
        created = client.post("/api/v1/endpoints", json={"slug": "hosted"})
        assert created.status_code == 201
        assert client.get("/sender/hls/hosted/live.m3u8").status_code == 404
        assert client.get("/api/v1/node").json()["manifest"]["running_children"] == EXPECTED
    assert runtime.started == []
