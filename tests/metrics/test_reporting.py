"""Real processes on loopback: nodes report to the metrics role, which dedupes and survives
being down (the nodes buffer their batches on the bulk lane)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sender_common.node import NodeIdentity
from tests import scrape
from tests.metrics.helpers import CONTROL, INGEST, batch_body, control_body, signed, start_node
from tests.procs import Proc, start_role
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

TOKEN = "ingest-token-5678"
NODE_SETTINGS = {
    "metrics_ingest_token": TOKEN,
    "viewer_report_seconds": 0.2,
    "viewer_retry_max_seconds": 0.3,
    "count_localhost": True,
}


def metrics_env() -> dict[str, object]:
    return {"metrics_ingest_token": TOKEN, "snapshot_seconds": 1}


@pytest.fixture
def metrics(tmp_path: Path) -> Iterator[Proc]:
    proc = start_role("metrics", tmp_path / "metrics", settings=metrics_env())
    yield proc
    proc.stop()


def nodes(tmp_path: Path, metrics_url: str, names: tuple[str, ...]) -> list[Proc]:
    env = {**NODE_SETTINGS, "metrics_url": metrics_url}
    return [start_node(tmp_path / name, settings=env) for name in names]


def viewers_now(metrics_url: str, endpoint: str = "ep") -> int:
    r = httpx.get(f"{metrics_url}/api/v1/endpoints/{endpoint}/viewers", timeout=5)
    return int(r.json()["now"])


def fetch(node: Proc, endpoint: str = "ep", *, source: str = "127.0.0.1", **params: str) -> None:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=5) as c:
        r = c.get(f"{node.url}/sender/hls/{endpoint}/1/src/index.m3u8", params=params)
        assert r.status_code == 200


def test_viewers_deduped_across_nodes_and_counted_by_address(tmp_path: Path, metrics: Proc) -> None:
    a, b = nodes(tmp_path, metrics.url, ("a", "b"))
    try:
        fetch(a, vsid="vsid-shared-1")
        fetch(b, vsid="vsid-shared-1")
        wait_for(lambda: viewers_now(metrics.url) == 1, 10, "one deduped viewer")
        fetch(a, source="127.0.0.2")
        fetch(a, source="127.0.0.3")
        fetch(b, source="127.0.0.3")  # the same address on another node: same hashed key
        wait_for(lambda: viewers_now(metrics.url) == 3, 10, "three viewers")
        node_metrics = scrape.scrape(a.url)
        assert scrape.value(node_metrics, "sender_edge_active_viewers", endpoint="ep") == 3.0
        text = scrape.scrape(metrics.url)
        assert scrape.value(text, "sender_viewers_active", endpoint="ep") == 3.0
        assert scrape.value(text, "sender_hls_requests_total", endpoint="ep", role="edge")
        assert "127.0.0" not in text and "vsid-shared" not in text
        series = wait_for(
            lambda: httpx.get(f"{metrics.url}/api/v1/endpoints/ep/viewers").json()["series"],
            10,
            "a snapshot",
        )
        assert max(p["peak"] for p in series) >= 1
    finally:
        for n in (a, b):
            n.stop()


def test_batches_buffered_while_metrics_down(tmp_path: Path) -> None:
    data = tmp_path / "metrics"
    metrics = start_role("metrics", data, settings=metrics_env())
    port = int(metrics.url.rsplit(":", 1)[1])
    (node,) = nodes(tmp_path, metrics.url, ("a",))
    try:
        fetch(node, vsid="vsid-before-1")
        wait_for(lambda: viewers_now(metrics.url) == 1, 10, "first viewer")
        metrics.stop()

        fetch(node, "ep2", vsid="vsid-during-1")
        fetch(node, "ep2", vsid="vsid-during-2")

        def pending() -> float:
            return scrape.value(scrape.scrape(node.url), "sender_edge_bulk_pending") or 0.0

        wait_for(lambda: pending() >= 1, 10, "batches buffered on the node")
        metrics = start_role("metrics", data, port=port, settings=metrics_env())
        # the key pinned on first contact is still known, and the buffer drains
        wait_for(lambda: viewers_now(metrics.url, "ep2") == 2, 15, "buffered viewers delivered")
        wait_for(lambda: pending() == 0, 10, "buffer drained")
    finally:
        node.stop()
        metrics.stop()


def test_replays_refused_after_a_metrics_restart(tmp_path: Path) -> None:
    data = tmp_path / "metrics"
    identity = NodeIdentity.load_or_create(tmp_path / "node")
    batch, message = batch_body(identity, 7), control_body(identity, 3)
    captured = [(INGEST, batch), (CONTROL, message)]
    metrics = start_role("metrics", data, settings=metrics_env())
    try:
        for path, body in captured:
            r = httpx.post(
                metrics.url + path, content=body, headers=signed(identity, body, token=TOKEN)
            )
            assert r.status_code == 202, r.text
            assert (
                httpx.post(
                    metrics.url + path, content=body, headers=signed(identity, body)
                ).status_code
                == 409
            )
    finally:
        metrics.stop()
    metrics = start_role("metrics", data, settings=metrics_env())
    try:
        for path, body in captured:  # the captured messages, sent again after the restart
            r = httpx.post(metrics.url + path, content=body, headers=signed(identity, body))
            assert r.status_code == 409, r.text
        fresh = batch_body(identity, 8, [("ep", "v:vsid-aaaaaaaa")])
        r = httpx.post(metrics.url + INGEST, content=fresh, headers=signed(identity, fresh))
        assert r.status_code == 202 and viewers_now(metrics.url) == 1
        text = scrape.scrape(metrics.url)
        assert scrape.value(text, "sender_metrics_batches_rejected_total", reason="replay") == 1.0
        assert scrape.value(text, "sender_metrics_control_rejected_total", reason="replay") == 1.0
    finally:
        metrics.stop()
