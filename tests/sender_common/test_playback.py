"""The one playback route: a role's finder behind it, the slug checked before it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sender_common.errors import NotFoundError, install_error_handlers
from sender_common.models import SessionState
from sender_common.playback import LiveStatus, playback_router
from sender_common.settings import HlsConfig
from sender_edge.main import create_app as create_edge
from sender_edge.settings import EdgeSettings
from sender_origin.main import create_app as create_origin
from sender_origin.settings import OriginSettings
from tests.procs import free_port

BAD_SLUGS = ["Cam", "-cam", "cam_1", "a" * 64]


@dataclass
class Status:
    state: SessionState = SessionState.live
    generation: int | None = 3
    live_url: str = "/sender/hls/cam/live.m3u8"
    renditions: list[str] = field(default_factory=lambda: ["src", "360p"])


@dataclass
class Finder:
    dvr: float | None
    asked: list[str] = field(default_factory=list)

    async def __call__(self, endpoint: str) -> tuple[LiveStatus, float | None]:
        self.asked.append(endpoint)
        if endpoint != "cam":
            raise NotFoundError(f"unknown endpoint {endpoint!r}")
        return Status(), self.dvr


def client_for(finder: Finder, hls: HlsConfig | None = None) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(playback_router(finder, hls or HlsConfig()), prefix="/api/v1")
    return TestClient(app)


def test_found_endpoint_has_the_playback_shape() -> None:
    finder = Finder(dvr=120.0)
    body = client_for(finder).get("/api/v1/playback/cam").json()
    assert finder.asked == ["cam"]
    assert body == {
        "endpoint": "cam",
        "state": "live",
        "generation": 3,
        "live_url": "/sender/hls/cam/live.m3u8",
        "renditions": ["src", "360p"],
        "hls": {
            "segment_seconds": 2.0,
            "window_segments": 6,
            "low_latency": True,
            "part_seconds": 0.5,
            "container": "fmp4",
        },
        "dvr_url": "/sender/hls/cam/dvr.m3u8",
        "dvr_window_seconds": 120.0,
    }


@pytest.mark.parametrize("dvr", [0.0, None])
def test_no_dvr_window_gives_no_dvr_url(dvr: float | None) -> None:
    body = client_for(Finder(dvr=dvr), HlsConfig(low_latency=False)).get("/api/v1/playback/cam")
    assert body.json()["dvr_url"] is None
    assert body.json()["dvr_window_seconds"] is None
    assert body.json()["hls"]["part_seconds"] is None


def test_unknown_endpoint_is_404() -> None:
    r = client_for(Finder(dvr=None)).get("/api/v1/playback/other")
    assert (r.status_code, r.json()) == (404, {"detail": "unknown endpoint 'other'"})


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_bad_slug_is_422_before_the_finder_runs(slug: str) -> None:
    finder = Finder(dvr=None)
    r = client_for(finder).get(f"/api/v1/playback/{slug}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "endpoint"]
    assert finder.asked == []


def _origin(tmp_path: Path) -> FastAPI:
    return create_origin(OriginSettings(data_dir=tmp_path, rtmp_port=free_port()))


def _edge(tmp_path: Path) -> FastAPI:
    return create_edge(EdgeSettings(data_dir=tmp_path))


@pytest.mark.parametrize("make", [_origin, _edge], ids=["origin", "edge"])
def test_roles_serve_the_shared_route(make: Callable[[Path], FastAPI], tmp_path: Path) -> None:
    with TestClient(make(tmp_path)) as client:
        for slug in BAD_SLUGS:
            r = client.get(f"/api/v1/playback/{slug}")
            assert r.status_code == 422, slug
            assert r.json()["detail"][0]["loc"] == ["path", "endpoint"]
        unknown = client.get("/api/v1/playback/nope")
        assert unknown.status_code == 404
        assert set(unknown.json()) == {"detail"}
