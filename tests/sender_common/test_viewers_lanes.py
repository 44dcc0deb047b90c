"""Lanes: declared per resource, bounded queues, control never waits behind bulk."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sender_common.children import run_children
from sender_common.node import NodeIdentity
from sender_common.settings import CommonSettings
from sender_common.viewers import Viewers
from sender_common.viewers.lanes import (
    Envelope,
    Lane,
    LaneLimits,
    LaneQueue,
    Lanes,
    http_deliver,
    lane_for,
)
from sender_common.viewers.tracker import vsid_key
from tests.procs import free_port
from tests.waiting import wait_for_async


def test_every_resource_has_a_lane_and_new_ones_are_bulk() -> None:
    assert lane_for("endpoints") is Lane.control
    assert lane_for("generations") is Lane.control
    assert lane_for("stream_state") is Lane.control
    assert lane_for("viewer_batches") is Lane.bulk
    assert lane_for("something_new") is Lane.bulk


def test_queue_drops_oldest_by_count_and_bytes() -> None:
    dropped: list[int] = []
    q = LaneQueue(LaneLimits(max_items=3, max_bytes=1000), dropped.append)
    envs = [Envelope("x", "/", bytes([i]) * 100) for i in range(5)]
    for env in envs:
        q.put(env)
    assert len(q) == 3 and sum(dropped) == 2
    assert q.holds(envs[2])
    q.put(Envelope("x", "/", b"z" * 900))  # over the byte budget: oldest go first
    assert q.nbytes == 1000 and sum(dropped) == 4 and len(q) == 2


class SlowReceiver:
    """A real HTTP server on loopback: bulk requests take `delay`, control is immediate."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrived: dict[str, float] = {}
        self.bulk = 0

    async def receive(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind == "bulk":
            self.bulk += 1
            await asyncio.sleep(self.delay)
        else:
            self.arrived[kind] = time.monotonic()
        return JSONResponse({"ok": True}, status_code=202)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[SlowReceiver, str]]:
    recv = SlowReceiver(delay=0.5)
    app = Starlette(routes=[Route("/r/{kind}", recv.receive, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    await wait_for_async(lambda: server.started, 10, "the receiver to start", interval=0.01)
    yield recv, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_control_arrives_within_deadline_behind_bulk_backlog(
    receiver: tuple[SlowReceiver, str],
) -> None:
    recv, url = receiver
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        lanes = Lanes(http_deliver(client))
        async with run_children(lanes.children()):
            for _ in range(500):
                lanes.submit(Envelope("viewer_batches", "/r/bulk", b"x" * 10_000))
            # the bulk sender is now stuck on the slow receiver
            await wait_for_async(lambda: recv.bulk, 10, "a bulk request", interval=0.01)
            sent_at = time.monotonic()
            assert lanes.submit(Envelope("endpoints", "/r/control", b"{}")) is Lane.control
            await wait_for_async(
                lambda: "control" in recv.arrived, 1.0, "control behind bulk", interval=0.01
            )
            assert recv.arrived["control"] - sent_at < 0.5
            assert lanes.pending(Lane.bulk) > 400  # the backlog is still there
            assert lanes.pending(Lane.control) == 0


async def test_rejected_messages_are_dropped_and_counted() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(409 if request.url.path == "/bad" else 202)

    drops: list[tuple[Lane, int]] = []
    async with httpx.AsyncClient(
        base_url="http://m", transport=httpx.MockTransport(handler)
    ) as client:
        lanes = Lanes(http_deliver(client), on_drop=lambda lane, n: drops.append((lane, n)))
        async with run_children(lanes.children()):
            lanes.submit(Envelope("history", "/bad", b"{}"))
            lanes.submit(Envelope("history", "/good", b"{}"))
            await wait_for_async(
                lambda: not lanes.pending(Lane.bulk), 5, "the bulk lane to drain", interval=0.01
            )
    assert calls == ["/bad", "/good"] and drops == [(Lane.bulk, 1)]
    assert lanes.sent[Lane.bulk] == 1


def test_bulk_queue_bounded_oldest_dropped_and_counted(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    viewers = Viewers(
        CommonSettings(
            data_dir=tmp_path, metrics_url="http://127.0.0.1:9", viewer_bulk_max_batches=3
        ),
        "edge",
        registry,
        NodeIdentity(Ed25519PrivateKey.generate()),
    )
    assert viewers.reporter is not None and viewers.lanes is not None
    for i in range(5):
        viewers.tracker.touch("ep", vsid_key(f"viewer-{i:04d}"))
        viewers.reporter.tick()
    viewers.reporter.tick()  # nothing new: no empty batch
    assert viewers.lanes.pending(Lane.bulk) == 3
    assert registry.get_sample_value("sender_edge_bulk_dropped_total") == 2
    queued = [e.body for e in viewers.lanes.queues[Lane.bulk]._items]
    assert [b'"seq":%d,' % n in body for n, body in zip((3, 4, 5), queued, strict=True)] == [
        True
    ] * 3


def test_large_drains_split_into_batches(tmp_path: Path) -> None:
    viewers = Viewers(
        CommonSettings(data_dir=tmp_path, metrics_url="http://127.0.0.1:9"),
        "origin",
        CollectorRegistry(),
        NodeIdentity(Ed25519PrivateKey.generate()),
    )
    assert viewers.reporter is not None
    viewers.reporter.max_viewers = 4
    for i in range(10):
        viewers.tracker.touch("ep", vsid_key(f"viewer-{i:04d}"))
    viewers.tracker.count_request("ep", 10)
    bodies = [json.loads(b) for b in viewers.reporter.build()]
    assert [len(b["viewers"]) for b in bodies] == [4, 4, 2]
    assert [b["seq"] for b in bodies] == [1, 2, 3]
    assert [len(b["counters"]) for b in bodies] == [1, 0, 0]
    assert all(v["vsid_or_ip_hash"].startswith("v:") for b in bodies for v in b["viewers"])
