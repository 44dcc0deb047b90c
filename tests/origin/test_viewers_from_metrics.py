"""An origin reporting to a metrics role answers an endpoint's viewers from it: the shape the
metrics role sends is the one the origin reads (real processes on loopback); a shape it could
not read would be answered from the node with a `metrics_error`."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.procs import create_endpoint, start_role
from tests.waiting import wait_for

TOKEN = "ingest-token-viewers-1"


def test_the_origin_reads_the_metrics_roles_series(tmp_path: Path) -> None:
    metrics = start_role(
        "metrics",
        tmp_path / "metrics",
        settings={"metrics_ingest_token": TOKEN, "snapshot_seconds": 0.5},
    )
    try:
        env = {"metrics_url": metrics.url, "metrics_ingest_token": TOKEN}
        origin = start_role("origin", tmp_path / "origin", settings=env)
        try:
            create_endpoint(origin.url, "quiet")

            def from_metrics() -> dict[str, object] | None:
                r = httpx.get(f"{origin.url}/api/v1/streams/quiet/viewers", timeout=5)
                body: dict[str, object] = r.raise_for_status().json()
                return body if body["source"] == "metrics" else None

            body = wait_for(from_metrics, 20, "a viewer series from the metrics role")
            direct = httpx.get(f"{metrics.url}/api/v1/endpoints/quiet/viewers", timeout=5).json()
            assert list(body) == ["endpoint", "now", "source", "series", "metrics_error"]
            assert body["endpoint"] == "quiet" and body["now"] == 0
            assert body["metrics_error"] is None
            assert list(direct) == ["endpoint", "now", "series"]
            assert isinstance(body["series"], list) and isinstance(direct["series"], list)
        finally:
            origin.stop()
    finally:
        metrics.stop()
