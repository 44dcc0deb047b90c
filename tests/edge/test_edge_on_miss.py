"""The first viewers of a name the edge lacks: one upstream check however many arrive at once
(an in-process `EdgeManager`, its upstream a mock transport, its database SQLite)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from sender_common.database import DatabaseChild
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_edge.edge_metrics import EdgeMetrics
from sender_edge.mirror.sessions.manager import EdgeManager
from sender_edge.settings import EdgeSettings


async def test_concurrent_first_viewers_share_one_upstream_check(tmp_path: Path) -> None:
    asked: Counter[str] = Counter()

    async def handle(request: httpx.Request) -> httpx.Response:
        asked[request.url.path] += 1
        await asyncio.sleep(0.01)  # an upstream answer takes a moment: the viewers overlap
        return httpx.Response(404, json={"detail": "no such endpoint"})

    settings = EdgeSettings(data_dir=tmp_path, upstream_url="http://127.0.0.1:9")
    db = DatabaseChild(settings)
    await db.start()
    manager = EdgeManager(
        settings,
        db,
        SpoolCache(settings.spool_dir),
        EdgeMetrics(CollectorRegistry()),
        transport=httpx.MockTransport(handle),
    )
    await manager.start()
    try:
        found = await asyncio.gather(*(manager.on_miss("nobody") for _ in range(20)))
        assert found == [False] * 20
        assert asked == {"/api/v1/playback/nobody": 1}
    finally:
        await manager.stop()
