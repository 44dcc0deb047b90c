"""The edge in process against a scripted upstream (httpx.MockTransport): API, on-demand,
and refusing bad upstream playlists."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sender_edge.main import create_app
from sender_edge.mirror.upstream.fetch import UnsafeSegmentUri, hls_root, segment_target
from sender_edge.settings import EdgeSettings
from tests import scrape
from tests.waiting import wait_for

UP = "http://up.test"
SEGMENT = b"\x47" + bytes(187)


def media(seq: int, uris: list[str], end: bool = False) -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:1",
        f"#EXT-X-MEDIA-SEQUENCE:{seq}",
    ]
    for uri in uris:
        lines += ["#EXTINF:1.000000,", uri]
    if end:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


LIVE = {
    "cam": media(1_000_003, [f"1/src/seg_{n:05d}.ts" for n in (3, 4, 5)]),
    "evil": media(1, ["../other/1/src/seg_00001.ts"]),
    "huge": "#EXTM3U\n" + "#" * 2_000_000,
    "ladder": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\nlive/low.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=900000\nlive/high.m3u8\n",
}


def upstream(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.startswith("/api/v1/playback/"):
        slug = path.rsplit("/", 1)[1]
        return httpx.Response(200 if slug in LIVE else 404, json={"state": "live"})
    parts = path.split("/")  # '', sender, hls, slug, ...
    slug, rest = parts[3], "/".join(parts[4:])
    if rest == "live.m3u8" and slug in LIVE:
        return httpx.Response(200, text=LIVE[slug])
    if slug == "ladder" and rest.startswith("live/"):
        name = rest[5:-5]
        return httpx.Response(200, text=media(7, [f"../2/{name}/seg_00007.ts"]))
    if rest.endswith(".ts"):
        return httpx.Response(200, content=SEGMENT)
    return httpx.Response(404, json={"detail": "not found"})


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The scripted upstream's name, never looked up (no DNS, no connection)."""
    del port
    if host == "up.test":
        return [ipaddress.ip_address("192.0.2.10")]
    raise OSError(f"{host} does not resolve here")


def make_client(tmp_path: Path, **kw: Any) -> TestClient:
    settings = EdgeSettings(data_dir=tmp_path, hls_segment_seconds=1, reconcile_seconds=0.2, **kw)
    app = create_app(settings, transport=httpx.MockTransport(upstream), resolver=resolve)
    return TestClient(app)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, upstream_url=UP) as c:
        yield c


def state_of(client: TestClient, slug: str, state: str) -> dict[str, Any] | None:
    data: dict[str, Any] = client.get(f"/api/v1/edge/sessions/{slug}").json()
    return data if data["state"] == state else None


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert scrape.declares(client.get("/metrics").text, "sender_edge_sessions")


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "Bad Slug"},
        {"endpoint": "cam", "upstream_url": "ftp://up.test"},
        {"endpoint": "cam", "upstream_url": "http://"},
        {"endpoint": "cam", "upstream_url": "http://u:p@up.test"},
        {"endpoint": "cam", "renditions": ["../x"]},
    ],
)
def test_bad_input_is_422(client: TestClient, body: dict[str, Any]) -> None:
    r = client.post("/api/v1/edge/sessions", json=body)
    assert r.status_code == 422
    assert "detail" in r.json()


def test_unknown_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/edge/sessions/nope").status_code == 404
    assert client.post("/api/v1/edge/sessions/nope/stop").json()["detail"]
    assert client.get("/api/v1/playback/nope").status_code == 404


def test_no_upstream_anywhere_is_422(tmp_path: Path) -> None:
    with make_client(tmp_path) as c:
        r = c.post("/api/v1/edge/sessions", json={"endpoint": "cam"})
        assert r.status_code == 422
        assert c.get("/sender/hls/cam/live.m3u8").status_code == 404  # no on-demand


def test_start_is_idempotent_mirrors_and_stops(client: TestClient, tmp_path: Path) -> None:
    first = client.post("/api/v1/edge/sessions", json={"endpoint": "cam"}).json()
    assert first["upstream_url"] == UP
    live = wait_for(lambda: state_of(client, "cam", "live"), 5, "live", interval=0.05)
    assert live["media_sequence"] == 1_000_003
    assert live["generation"] == 1
    again = client.post("/api/v1/edge/sessions", json={"endpoint": "cam"}).json()
    assert again.keys() == first.keys()
    assert again["segments_mirrored"] == 3  # the same worker, nothing fetched twice
    text = client.get("/sender/hls/cam/live.m3u8").text
    assert "#EXT-X-MEDIA-SEQUENCE:1000003" in text
    assert "1/src/seg_00005.ts" in text
    assert client.get("/sender/hls/cam/1/src/seg_00004.ts").content == SEGMENT
    assert (tmp_path / "spool/cam/1/src/seg_00004.ts").read_bytes() == SEGMENT
    assert client.get("/api/v1/edge/sessions").json()["count"] == 1
    stopped = client.post("/api/v1/edge/sessions/cam/stop").json()
    assert stopped["state"] == "stopped"
    assert client.get("/sender/hls/cam/live.m3u8").status_code == 404  # stopped: no pull


def test_on_demand_pull_through(client: TestClient) -> None:
    r = client.get("/sender/hls/cam/live.m3u8")
    assert r.status_code == 200
    assert "seg_00003.ts" in r.text
    assert client.get("/api/v1/edge/sessions/cam").json()["desired"] is True
    assert client.get("/sender/hls/unknown/live.m3u8").status_code == 404
    assert client.get("/api/v1/edge/sessions/unknown").status_code == 404


def test_on_demand_off(tmp_path: Path) -> None:
    with make_client(tmp_path, upstream_url=UP, on_demand=False) as c:
        assert c.get("/sender/hls/cam/live.m3u8").status_code == 404


def test_master_playlist_and_rendition_filter(client: TestClient) -> None:
    body = {"endpoint": "ladder", "renditions": ["low"]}
    client.post("/api/v1/edge/sessions", json=body)
    status = wait_for(lambda: state_of(client, "ladder", "live"), 5, "ladder live", interval=0.05)
    assert status["renditions"] == ["low"]
    master = client.get("/sender/hls/ladder/live.m3u8").text
    assert "live/low.m3u8" in master and "high" not in master
    low = client.get("/sender/hls/ladder/live/low.m3u8").text
    assert "../2/low/seg_00007.ts" in low
    assert client.get("/sender/hls/ladder/2/low/seg_00007.ts").content == SEGMENT


@pytest.mark.parametrize(("slug", "message"), [("evil", "outside"), ("huge", "over")])
def test_bad_upstream_playlists_are_refused(client: TestClient, slug: str, message: str) -> None:
    client.post("/api/v1/edge/sessions", json={"endpoint": slug})
    status = wait_for(lambda: state_of(client, slug, "error"), 5, "error state", interval=0.05)
    assert message in status["last_error"]


@pytest.mark.parametrize(
    "uri",
    [
        "../other/1/src/seg_00001.ts",
        "http://elsewhere.test/sender/hls/cam/1/src/seg_00001.ts",
        "1/src/../../x/seg.ts",
        "1/src/seg_00001.ts?x=1",
        "1/src/%2e%2e/seg.ts",
        "x/src/seg_00001.ts",
        "1/src/index.m3u8",
    ],
)
def test_segment_uris_outside_the_endpoint_are_refused(uri: str) -> None:
    root = hls_root(UP, "cam")
    with pytest.raises(UnsafeSegmentUri):
        segment_target(root + "live.m3u8", uri, root)


def test_segment_target_keeps_the_layout() -> None:
    root = hls_root(UP + "/", "cam")
    url, path = segment_target(root + "live/low.m3u8", "../3/low/seg_00001.ts", root)
    assert url == f"{UP}/sender/hls/cam/3/low/seg_00001.ts"
    assert path == "3/low/seg_00001.ts"


def test_restart_drops_segments_left_before_the_window(tmp_path: Path) -> None:
    old = tmp_path / "spool/cam/1/src/seg_00001.ts"
    old.parent.mkdir(parents=True)
    old.write_bytes(SEGMENT)
    with make_client(tmp_path, upstream_url=UP) as c:
        c.post("/api/v1/edge/sessions", json={"endpoint": "cam"})
        wait_for(lambda: state_of(c, "cam", "live"), 5, "live", interval=0.05)
        assert not old.exists()
        assert (tmp_path / "spool/cam/1/src/seg_00003.ts").exists()


def test_sweep_removes_old_generations(tmp_path: Path) -> None:
    from sender_edge.mirror.follow.spool import sweep_generations

    for gen in ("1", "2"):
        (tmp_path / gen / "src").mkdir(parents=True)
    assert sweep_generations(tmp_path, 2, retention=0) == ["1"]
    assert (tmp_path / "2").is_dir() and not (tmp_path / "1").exists()
