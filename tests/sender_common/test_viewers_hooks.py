"""`Viewers` wired into a bare app with a real `HlsApp`: the hooks the roles use."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from sender_common.errors import install_error_handlers
from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.node import NodeIdentity
from sender_common.settings import CommonSettings
from sender_common.viewers import Viewers

PLAYLIST = "/sender/hls/ep/1/src/index.m3u8"
SEGMENT = "/sender/hls/ep/1/src/seg_00001.ts"


def build(tmp_path: Path, **settings: object) -> tuple[FastAPI, Viewers, CollectorRegistry]:
    spool = tmp_path / "spool"
    (spool / "ep/1/src").mkdir(parents=True, exist_ok=True)
    (spool / "ep/1/src/index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n")
    (spool / "ep/1/src/seg_00001.ts").write_bytes(b"\x47" * 1880)
    registry = CollectorRegistry()
    viewers = Viewers(
        CommonSettings(data_dir=tmp_path, viewer_label_limit=2, **settings),  # type: ignore[arg-type]
        "edge",
        registry,
        NodeIdentity(Ed25519PrivateKey.generate()),
    )
    app = FastAPI()
    install_error_handlers(app)  # one error model, as every role installs it
    app.mount("/sender/hls", HlsApp(SpoolCache(spool), observer=viewers.observe))
    app.include_router(viewers.router())
    return app, viewers, registry


def client(app: FastAPI, ip: str) -> TestClient:
    return TestClient(app, client=(ip, 1234))


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def event(kind: str = "heartbeat", vsid: str = "vsid-aaaaaaaa", **kw: object) -> dict[str, object]:
    return {"type": kind, "vsid": vsid, "endpoint": "ep", "generation": 1, "position": 1.5, **kw}


def test_playlists_make_viewers_segments_count_traffic(tmp_path: Path) -> None:
    app, viewers, registry = build(tmp_path)
    a, b = client(app, "203.0.113.5"), client(app, "203.0.113.6")
    assert a.get(PLAYLIST, params={"vsid": "vsid-aaaaaaaa"}).status_code == 200
    assert a.get(PLAYLIST, params={"vsid": "vsid-aaaaaaaa"}).status_code == 200
    assert a.get(PLAYLIST).status_code == 200  # same player without its vsid: not a second viewer
    assert len(a.get(SEGMENT).content) == 1880
    assert b.get(PLAYLIST).status_code == 200  # a plain client: counted by address
    assert b.get("/sender/hls/ep/1/src/missing.ts").status_code == 404
    assert viewers.active("ep") == 2
    assert sample(registry, "sender_edge_active_viewers", endpoint="ep") == 2
    assert sample(registry, "sender_edge_hls_requests_total", endpoint="ep", kind="playlist") == 4
    assert sample(registry, "sender_edge_hls_requests_total", endpoint="ep", kind="segment") == 1
    assert sample(registry, "sender_edge_hls_requests_total", endpoint="ep", kind="error") == 1
    assert sample(registry, "sender_edge_viewer_sessions_started_total", endpoint="ep") == 2
    assert sample(registry, "sender_edge_hls_bytes_total", endpoint="ep") is not None
    text = generate_latest(registry).decode()
    assert "vsid-aaaaaaaa" not in text and "203.0.113" not in text


@pytest.mark.parametrize(("count_localhost", "expected"), [(False, 0), (True, 1)])
def test_localhost_counts_only_in_local_mode(
    tmp_path: Path, count_localhost: bool, expected: int
) -> None:
    app, viewers, _ = build(tmp_path, count_localhost=count_localhost)
    assert client(app, "127.0.0.1").get(PLAYLIST).status_code == 200
    assert client(app, "127.0.0.2").get(PLAYLIST).status_code == 200  # not "localhost"
    assert viewers.active("ep") == expected + 1


def test_trusted_proxy_served_but_not_counted(tmp_path: Path) -> None:
    app, viewers, _ = build(tmp_path, trusted_proxies=["10.0.0.0/8"])
    edge = client(app, "10.0.0.9")
    assert edge.get(PLAYLIST).status_code == 200
    assert edge.get(SEGMENT).status_code == 200
    assert viewers.active("ep") == 0
    # the same proxy forwarding a viewer: the viewer counts
    assert edge.get(PLAYLIST, headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 200
    # an untrusted peer cannot claim an address
    spoof = client(app, "203.0.113.5").get(PLAYLIST, headers={"X-Forwarded-For": "198.51.100.4"})
    assert spoof.status_code == 200
    assert viewers.active("ep") == 2


def test_events_keep_sessions_and_end_them(tmp_path: Path) -> None:
    app, viewers, registry = build(tmp_path)
    c = client(app, "203.0.113.5")
    r = c.post("/sender/api/v1/events", json=event("play"))
    assert (r.status_code, r.json()) == (202, {"accepted": True})
    assert c.post("/sender/api/v1/events", json=event()).status_code == 202
    assert viewers.active("ep") == 1
    assert sample(registry, "sender_edge_heartbeats_total", endpoint="ep") == 1
    assert c.post("/sender/api/v1/events", json=event("error", detail="boom")).status_code == 202
    assert c.post("/sender/api/v1/events", json=event("ended")).status_code == 202
    assert viewers.active("ep") == 0


@pytest.mark.parametrize(
    "body",
    [
        event(kind="seek"),
        event(vsid="short"),
        event(vsid="bad vsid with spaces"),
        event(endpoint="Bad_Slug"),
        event(generation="one"),
        event(detail="x" * 501),
        {"type": "heartbeat"},
    ],
)
def test_bad_events_are_422_json(tmp_path: Path, body: dict[str, object]) -> None:
    app, viewers, _ = build(tmp_path)
    r = client(app, "203.0.113.5").post("/sender/api/v1/events", json=body)
    assert r.status_code == 422 and "detail" in r.json()
    assert viewers.active("ep") == 0


def test_non_json_event_is_422(tmp_path: Path) -> None:
    app, _, _ = build(tmp_path)
    r = client(app, "203.0.113.5").post(
        "/sender/api/v1/events", content=b"nope", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422


def test_events_rate_limited_per_vsid(tmp_path: Path) -> None:
    app, _, registry = build(tmp_path)
    c = client(app, "203.0.113.5")
    codes = [c.post("/sender/api/v1/events", json=event()).status_code for _ in range(30)]
    assert codes[:10] == [202] * 10 and 429 in codes
    limited = c.post("/sender/api/v1/events", json=event())
    assert limited.status_code == 429 and limited.json()["detail"]
    assert limited.headers["retry-after"] == "1"
    # another viewer is not held back by the first
    assert c.post("/sender/api/v1/events", json=event(vsid="vsid-bbbbbbbb")).status_code == 202
    assert (sample(registry, "sender_edge_player_events_limited_total") or 0) >= 1


def test_endpoint_labels_capped(tmp_path: Path) -> None:
    app, viewers, registry = build(tmp_path)
    c = client(app, "203.0.113.5")
    for ep in ("ep1", "ep2", "ep3", "ep4"):
        c.post("/sender/api/v1/events", json=event(endpoint=ep))
    assert viewers.active("ep3") == 1
    assert sample(registry, "sender_edge_active_viewers", endpoint="other") == 2
    assert sample(registry, "sender_edge_active_viewers", endpoint="ep3") is None


def test_children_standalone_vs_reporting(tmp_path: Path) -> None:
    _, standalone, _ = build(tmp_path)
    assert [c.name for c in standalone.children()] == ["viewers-sweep"]
    _, reporting, _ = build(tmp_path / "r", metrics_url="http://127.0.0.1:9")
    names = [c.name for c in reporting.children()]
    assert names == [
        "viewers-sweep",
        "viewers-client",
        "lane-control",
        "lane-bulk",
        "viewers-report",
    ]


def test_gauge_falls_to_zero_after_the_idle_timeout(tmp_path: Path) -> None:
    now = [1000.0]
    spool = tmp_path / "spool"
    (spool / "ep/1/src").mkdir(parents=True)
    (spool / "ep/1/src/index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n")
    registry = CollectorRegistry()
    viewers = Viewers(
        CommonSettings(data_dir=tmp_path, viewer_idle_seconds=5),
        "origin",
        registry,
        NodeIdentity(Ed25519PrivateKey.generate()),
        clock=lambda: now[0],
    )
    app = FastAPI()
    install_error_handlers(app)  # one error model, as every role installs it
    app.mount("/sender/hls", HlsApp(SpoolCache(spool), observer=viewers.observe))
    client(app, "203.0.113.9").get(PLAYLIST, params={"vsid": "vsid-zzzzzzzz"})
    gauge = "sender_origin_active_viewers"
    assert sample(registry, gauge, endpoint="ep") == 1
    now[0] += 6  # the stream ended: no more reloads, and the idle timeout passes
    viewers.tracker.sweep()
    assert (
        sample(registry, gauge, endpoint="ep") == 0
    )  # present and zero, neither stuck nor vanished


def test_one_address_cannot_mint_unlimited_viewers(tmp_path: Path) -> None:
    app, viewers, _ = build(tmp_path)
    viewers.tracker.max_per_client = 3
    crowd = client(app, "203.0.113.50")
    for i in range(10):
        crowd.get(PLAYLIST, params={"vsid": f"forged-vsid-{i:04d}"})
    assert viewers.active("ep") == 3
    client(app, "203.0.113.51").get(PLAYLIST, params={"vsid": "honest-vsid-0001"})
    assert viewers.active("ep") == 4


def test_events_for_streams_this_node_does_not_serve_are_404(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    viewers = Viewers(
        CommonSettings(data_dir=tmp_path),
        "edge",
        CollectorRegistry(),
        NodeIdentity(Ed25519PrivateKey.generate()),
        known_endpoint=lambda name: name == "ep",
    )
    app = FastAPI()
    install_error_handlers(app)  # one error model, as every role installs it
    install_error_handlers(app)
    app.include_router(viewers.router())
    c = client(app, "203.0.113.60")
    fake = c.post("/sender/api/v1/events", json={**event(), "endpoint": "made-up"})
    assert fake.status_code == 404 and "made-up" in fake.json()["detail"]
    assert viewers.active("made-up") == 0
    assert c.post("/sender/api/v1/events", json=event()).status_code == 202
    assert viewers.active("ep") == 1
