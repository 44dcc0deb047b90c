"""`/api/v1/streams/{slug}/events`, the ingest bitrate and `/viewers` on a real origin process
with real ffmpeg publishing over RTMP; its metrics URL points at a loopback port nobody
listens on, so viewers come from the node's own count with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests import scrape
from tests.procs import (
    Proc,
    create_endpoint,
    free_port,
    publish,
    rtmp_url,
    stop_publisher,
)
from tests.waiting import wait_for

SLUG = "events-cam"
ORIGIN_SETTINGS = {"metrics_url": f"http://127.0.0.1:{free_port()}"}  # nothing listens


def get(origin: Proc, path: str) -> Any:
    r = httpx.get(f"{origin.url}{path}", timeout=5)
    r.raise_for_status()
    return r.json()


def kinds(origin: Proc) -> list[str]:
    return [e["kind"] for e in get(origin, f"/api/v1/streams/{SLUG}/events")]


def test_events_bitrate_and_kick(origin: Proc, tmp_path: Path) -> None:
    key = create_endpoint(origin.url, SLUG)
    httpx.post(f"{origin.url}/api/v1/streams/{SLUG}/stop", timeout=5).raise_for_status()
    refused = publish(rtmp_url(origin, key), duration=5)
    try:
        wait_for(lambda: "publish_refused" in kinds(origin), 15, "the refused publish")
    finally:
        stop_publisher(refused)
    assert get(origin, f"/api/v1/streams/{SLUG}/events")[0]["detail"] == "stopped"
    httpx.post(f"{origin.url}/api/v1/streams/{SLUG}/start", timeout=5).raise_for_status()
    pub = publish(rtmp_url(origin, key))
    try:
        status = wait_for(
            lambda: (s := get(origin, f"/api/v1/streams/{SLUG}"))["ingest_bitrate_kbps"] and s,
            20,
            "an ingest bitrate",
        )
        assert status["state"] == "live"
        assert 20 < status["ingest_bitrate_kbps"] < 5000
        accepted = get(origin, f"/api/v1/streams/{SLUG}/events")[0]
        assert accepted["kind"] == "publish_accepted"
        assert accepted["generation"] == 1
        assert accepted["detail"].startswith("from 127.0.0.1:")
        metrics = scrape.scrape(origin.url)
        assert scrape.value(metrics, "sender_origin_ingest_bytes_total", endpoint=SLUG) is not None
        r = httpx.post(f"{origin.url}/api/v1/streams/{SLUG}/kick?block=true", timeout=10)
        assert r.status_code == 200
        wait_for(lambda: kinds(origin)[0] == "generation_ended", 15, "the generation to end")
    finally:
        stop_publisher(pub)
    assert kinds(origin) == [
        "generation_ended",
        "publisher_left",
        "kicked",
        "publish_accepted",
        "started",
        "publish_refused",
        "stopped",
    ]
    body = httpx.get(f"{origin.url}/api/v1/streams/{SLUG}/events", timeout=5).text
    assert key not in body
    assert "key blocked" in body
    assert len(get(origin, f"/api/v1/streams/{SLUG}/events?limit=2")) == 2


def test_events_and_viewers_bad_input(origin: Proc) -> None:
    for path in ("events", "viewers"):
        r = httpx.get(f"{origin.url}/api/v1/streams/no-such/{path}", timeout=5)
        assert r.status_code == 404
        assert r.json() == {"detail": "no endpoint 'no-such'"}
    for query in ("events?limit=0", "events?limit=x", "viewers?since_seconds=-1"):
        r = httpx.get(f"{origin.url}/api/v1/streams/{SLUG}/{query}", timeout=5)
        assert r.status_code == 422, query
        assert r.json()["detail"]


def test_viewers_fall_back_to_the_node_count(origin: Proc) -> None:
    body = get(origin, f"/api/v1/streams/{SLUG}/viewers")
    assert body == {
        "endpoint": SLUG,
        "now": 0,
        "source": "node",
        "series": [],
        "metrics_error": "metrics role unreachable (ConnectError)",
    }
