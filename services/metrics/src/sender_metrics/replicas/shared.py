"""Everything a replica shares through Redis, as one part of the metrics runtime."""

from __future__ import annotations

__all__ = ["LEASE_SECONDS", "SharedState"]

import uuid

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sender_common.children import Child
from sender_metrics.replicas.connection import RedisConnection
from sender_metrics.replicas.lease import Lease
from sender_metrics.replicas.nodes import RedisNodes
from sender_metrics.replicas.stream_states import RedisStreams
from sender_metrics.replicas.viewers import RedisViewers
from sender_metrics.stream_states import StreamBook

# A killed exporting replica is replaced within this long (a stopped one at once).
LEASE_SECONDS = 5.0


class SharedState:
    def __init__(self, url: str, idle_seconds: float, node_id: str, local: StreamBook) -> None:
        self.conn = RedisConnection(url)
        self.lease = Lease(self.conn, f"{node_id}:{uuid.uuid4().hex[:12]}", LEASE_SECONDS)
        self.nodes = RedisNodes(self.conn)
        self.viewers = RedisViewers(self.conn, idle_seconds, leading=self.lease.holding)
        self.streams = RedisStreams(self.conn, local)
        # Redis down: requests that need it are answered 503, naming what is down (errors.py)
        self.dependencies: dict[type[Exception], str] = {
            RedisConnectionError: "shared viewer state",
            RedisTimeoutError: "shared viewer state",
        }

    def children(self) -> list[Child]:
        """Started in this order, stopped in reverse: the lease is released first."""
        return [self.conn.child(), self.lease.child()]

    async def tick(self) -> None:
        """Keep the lease; its holder expires idle viewers, samples counts, reads streams."""
        if await self.lease.renew():
            await self.streams.refresh()
        await self.viewers.sweep()
