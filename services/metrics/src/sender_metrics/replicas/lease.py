"""One replica at a time exports the shared gauges and writes snapshots: a Redis lease.

`SET leader holder NX PX` takes it, a script extends it only while we still hold it, and a
stopping holder deletes it so another replica takes over at its next tick rather than when
the lease runs out. Gauges from more than one replica would be double counted by a `sum`.
"""

from __future__ import annotations

__all__ = ["Lease"]

import logging

from redis.exceptions import RedisError

from sender_common.children import Child
from sender_metrics.replicas.connection import RedisConnection

log = logging.getLogger(__name__)

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    def __init__(self, conn: RedisConnection, holder: str, seconds: float) -> None:
        self.conn = conn
        self.holder = holder
        self.ms = int(seconds * 1000)
        self.held = False

    def holding(self) -> bool:
        return self.held

    async def renew(self) -> bool:
        """Keep or take the lease; False (and not held) when Redis cannot be reached."""
        key = self.conn.keys.leader
        was = self.held
        try:
            if self.held:
                self.held = bool(
                    await self.conn.script(RENEW)(keys=[key], args=[self.holder, self.ms])
                )
            if not self.held:
                taken = await self.conn.client.set(key, self.holder, nx=True, px=self.ms)
                self.held = bool(taken)
        except RedisError:
            self.held = False
            raise
        finally:
            if self.held != was:
                log.info("export lease %s", "taken" if self.held else "lost")
        return self.held

    async def release(self) -> None:
        if self.held:
            self.held = False
            await self.conn.script(RELEASE)(keys=[self.conn.keys.leader], args=[self.holder])

    def child(self) -> Child:
        async def _nothing() -> None:
            return None

        return Child("export-lease", _nothing, self.release)
