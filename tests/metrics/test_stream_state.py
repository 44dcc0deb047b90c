"""Real processes on loopback: an origin reports its stream state to the metrics role on the
control lane, and the metrics role exports it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests import scrape
from tests.procs import create_endpoint, publish, rtmp_url, start_origin, start_role, stop_publisher
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

TOKEN = "ingest-token-9012"


def sample(url: str, name: str, endpoint: str) -> float | None:
    return scrape.value(scrape.scrape(url), name, endpoint=endpoint)


def test_origin_publish_sets_stream_live_then_clears_it(tmp_path: Path) -> None:
    metrics = start_role("metrics", tmp_path / "metrics", settings={"metrics_ingest_token": TOKEN})
    origin = start_origin(
        tmp_path / "origin",
        settings={
            "metrics_url": metrics.url,
            "metrics_ingest_token": TOKEN,
            "reconnect_grace_seconds": 1,
        },
    )
    live, generation = "sender_stream_live", "sender_stream_generation"
    try:
        key = create_endpoint(origin.url, "x")
        pub = publish(rtmp_url(origin, key))
        try:
            wait_for(lambda: sample(metrics.url, live, "x") == 1, 30, "x live at the metrics role")
            assert sample(metrics.url, generation, "x") == 1
        finally:
            stop_publisher(pub)

        def generation_ended() -> bool:
            r = httpx.get(f"{origin.url}/api/v1/endpoints/x/generations", timeout=5)
            return bool(r.json()[0]["state"] == "ended")

        wait_for(generation_ended, 15, "the generation to end after the grace period")
        wait_for(lambda: sample(metrics.url, live, "x") == 0, 5, "x no longer live")
        assert sample(metrics.url, generation, "x") == 1
        text = scrape.scrape(metrics.url)
        rejected = "sender_metrics_control_rejected_total"
        assert scrape.value(text, rejected, reason="replay") is None
    finally:
        origin.stop()
        metrics.stop()


def test_origin_stopping_mid_stream_reports_it(tmp_path: Path) -> None:
    metrics = start_role("metrics", tmp_path / "metrics", settings={"metrics_ingest_token": TOKEN})
    origin = start_origin(
        tmp_path / "origin",
        settings={"metrics_url": metrics.url, "metrics_ingest_token": TOKEN},
    )
    live = "sender_stream_live"
    try:
        key = create_endpoint(origin.url, "y")
        pub = publish(rtmp_url(origin, key))
        try:
            wait_for(lambda: sample(metrics.url, live, "y") == 1, 30, "y live at the metrics role")
            origin.stop()
        finally:
            stop_publisher(pub)
        # the session ended at shutdown; its state left before the lanes stopped
        assert sample(metrics.url, live, "y") == 0
    finally:
        origin.stop()
        metrics.stop()
