"""Delivery to a real metrics role: control passes a stuck bulk lane, and a node's final batch
on shutdown (delivered, or bounded when refused)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import CollectorRegistry

from sender_common.children import run_children
from sender_common.models import SessionState
from sender_common.node import NodeIdentity
from sender_common.settings import CommonSettings
from sender_common.viewers import Viewers
from sender_common.viewers.batch import CONTROL_PATH, INGEST_PATH, StreamStateData
from sender_common.viewers.lanes import (
    Lane,
)
from sender_common.viewers.tracker import vsid_key
from tests import scrape
from tests.procs import Proc, start_role
from tests.waiting import wait_for_async

TOKEN = "ingest-token-lanes"


class StuckBulk(httpx.AsyncBaseTransport):
    """Control goes to the real receiver; bulk hangs until released, then gets a 503."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.release = asyncio.Event()
        self.bulk = 0
        self.control = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == INGEST_PATH:
            self.bulk += 1
            await self.release.wait()
            return httpx.Response(503)
        self.control += 1
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


@pytest.fixture
def metrics_role(tmp_path: Path) -> Iterator[Proc]:
    proc = start_role("metrics", tmp_path / "metrics", settings={"metrics_ingest_token": TOKEN})
    yield proc
    proc.stop()


def reporting_viewers(
    tmp_path: Path, url: str, transport: httpx.AsyncBaseTransport, **config: Any
) -> Viewers:
    return Viewers(
        CommonSettings(
            data_dir=tmp_path,
            metrics_url=url,
            metrics_ingest_token=TOKEN,
            **config,
        ),
        "origin",
        CollectorRegistry(),
        NodeIdentity(Ed25519PrivateKey.generate()),
        transport=transport,
    )


def stream_state(endpoint: str, state: SessionState) -> dict[str, object]:
    data = StreamStateData(
        endpoint=endpoint, generation=1, generation_open=True, state=state, at=time.time()
    )
    return data.model_dump(mode="json")


@pytest.mark.slow
async def test_stream_state_reaches_metrics_behind_a_stuck_bulk_backlog(
    tmp_path: Path, metrics_role: Proc
) -> None:
    transport = StuckBulk()
    viewers = reporting_viewers(
        tmp_path, metrics_role.url, transport, viewer_final_flush_seconds=0.1
    )
    assert viewers.reporter is not None and viewers.lanes is not None
    viewers.reporter.max_viewers = 10
    async with (
        httpx.AsyncClient(base_url=metrics_role.url, timeout=5) as probe,
        run_children(viewers.children()),
    ):
        for i in range(5000):
            viewers.tracker.touch("x", vsid_key(f"viewer-{i:05d}"))
        viewers.reporter.tick()  # 500 batches queued on the bulk lane
        # the bulk sender is now stuck on its first batch
        await wait_for_async(lambda: transport.bulk, 10, "a bulk batch", interval=0.01)

        async def live_at_metrics() -> bool:
            text = (await probe.get("/metrics")).text
            return scrape.value(text, "sender_stream_live", endpoint="x") == 1.0

        viewers.send_control("stream_state", stream_state("x", SessionState.live))
        await wait_for_async(live_at_metrics, 3.0, "control behind bulk at the metrics role")
        assert viewers.lanes.pending(Lane.bulk) >= 499  # the backlog is still there
        assert viewers.lanes.pending(Lane.control) == 0 and transport.bulk == 1
        transport.release.set()


class Recorder:
    """A metrics role stand-in that records what it was sent (or refuses it all with 503)."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.received: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.status < 300:
            self.received.append((request.url.path, json.loads(request.content)))
        return httpx.Response(self.status, json={})

    def viewers(self) -> list[str]:
        return [
            str(v["vsid_or_ip_hash"])
            for path, body in self.received
            if path == INGEST_PATH
            for v in body["viewers"]
        ]


async def test_final_batch_delivered_on_shutdown(tmp_path: Path) -> None:
    recorder = Recorder()
    viewers = reporting_viewers(
        tmp_path, "http://metrics", httpx.MockTransport(recorder), viewer_report_seconds=3600
    )
    async with run_children(viewers.children()):
        await wait_for_async(  # the regular tick ran (with nothing to send)
            lambda: viewers.report.runs >= 1, 5, "a regular report tick", interval=0.01
        )
        viewers.tracker.touch("ep", vsid_key("viewer-late"))  # after the last regular tick
        viewers.send_control("stream_state", stream_state("ep", SessionState.stopped))
    assert recorder.viewers() == [vsid_key("viewer-late")]
    assert sorted(path for path, _ in recorder.received) == sorted([CONTROL_PATH, INGEST_PATH])


async def test_final_flush_is_bounded_when_metrics_refuses(tmp_path: Path) -> None:
    viewers = reporting_viewers(
        tmp_path,
        "http://metrics",
        httpx.MockTransport(Recorder(503)),
        viewer_report_seconds=3600,
        viewer_final_flush_seconds=0.5,
    )
    assert viewers.lanes is not None
    async with run_children(viewers.children()):
        viewers.tracker.touch("ep", vsid_key("viewer-late"))
        started = time.monotonic()
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 2.0
    assert viewers.lanes.pending(Lane.bulk) == 1  # kept, not delivered, not waited on forever
