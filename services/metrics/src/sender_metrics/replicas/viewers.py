"""Active viewers in Redis: one sorted set per endpoint, viewer key -> last seen (unix s).

A viewer reported by two nodes through two replicas is one member, so it counts once; a
batch is one MULTI/EXEC (`ZADD GT` per endpoint keeps the newest sighting and returns how
many keys are new). The replica holding the lease expires idle members and samples the
counts; every replica answers `active_now` exactly with `ZCOUNT`.
"""

from __future__ import annotations

__all__ = ["RedisViewers"]

import time
from collections.abc import Callable

from sender_common.viewers.batch import ViewerBatch
from sender_metrics.replicas.connection import RedisConnection
from sender_metrics.viewers import EndpointInterval

# KEYS endpoints set, viewers zset, traffic hash; ARGV endpoint, cutoff. An endpoint leaves
# the set only when it has no viewers and no traffic to hand over, checked atomically with
# the removal so a concurrent batch (SADD + ZADD in one transaction) is never orphaned.
SWEEP = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
local n = redis.call('ZCARD', KEYS[2])
if n == 0 and redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end
return n
"""
# KEYS traffic hash: read and reset as one step
TAKE = """
local v = redis.call('HMGET', KEYS[1], 'requests', 'bytes')
redis.call('DEL', KEYS[1])
return v
"""


class RedisViewers:
    """The shared `ViewerState`; interval samples are kept by the leasing replica only."""

    def __init__(
        self,
        conn: RedisConnection,
        idle_seconds: float,
        *,
        leading: Callable[[], bool],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.keys = conn.keys
        self.idle_seconds = idle_seconds
        self.leading = leading
        self.clock = clock
        self._counts: dict[str, int] = {}
        self._intervals: dict[str, EndpointInterval] = {}

    async def record(self, batch: ViewerBatch) -> dict[str, int]:
        now = self.clock()
        cutoff = now - self.idle_seconds
        fresh: dict[str, dict[str, float]] = {}
        for v in batch.viewers:
            seen = min(v.last_seen, now)  # a node's clock ahead of ours must not extend a session
            if seen <= cutoff:
                continue
            members = fresh.setdefault(v.endpoint, {})
            if seen > members.get(v.vsid_or_ip_hash, 0.0):
                members[v.vsid_or_ip_hash] = seen
        traffic: dict[str, tuple[int, int]] = {}
        for c in batch.counters:
            if c.requests or c.bytes:
                req, sent = traffic.get(c.endpoint, (0, 0))
                traffic[c.endpoint] = (req + c.requests, sent + c.bytes)
        if not fresh and not traffic:
            return {}
        async with self.conn.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.endpoints, *(set(fresh) | set(traffic)))
            for endpoint, members in fresh.items():
                pipe.zadd(self.keys.viewers(endpoint), members, gt=True)
            for endpoint, (req, sent) in traffic.items():
                if req:
                    pipe.hincrby(self.keys.traffic(endpoint), "requests", req)
                if sent:
                    pipe.hincrby(self.keys.traffic(endpoint), "bytes", sent)
            results = await pipe.execute()
        added = results[1 : 1 + len(fresh)]
        return {ep: int(n) for ep, n in zip(fresh, added, strict=True) if n}

    async def active_now(self, endpoint: str) -> int:
        cutoff = self.clock() - self.idle_seconds
        return int(await self.conn.client.zcount(self.keys.viewers(endpoint), f"({cutoff}", "+inf"))

    def counts(self) -> dict[str, int]:
        return {**dict.fromkeys(self._intervals, 0), **self._counts}

    async def sweep(self) -> None:
        if not self.leading():  # another replica samples; start clean if the lease comes back
            self._counts, self._intervals = {}, {}
            return
        cutoff = self.clock() - self.idle_seconds
        endpoints = await self._endpoints()
        script = self.conn.script(SWEEP)
        async with self.conn.client.pipeline(transaction=False) as pipe:
            for ep in endpoints:
                keys = [self.keys.endpoints, self.keys.viewers(ep), self.keys.traffic(ep)]
                await script(keys=keys, args=[ep, repr(cutoff)], client=pipe)
            found = await pipe.execute()
        self._counts = {ep: int(n) for ep, n in zip(endpoints, found, strict=True)}
        for ep in set(self._counts) | set(self._intervals):
            n = self._counts.get(ep, 0)
            iv = self._intervals.setdefault(ep, EndpointInterval())
            iv.peak = max(iv.peak, n)
            iv.total += n
            iv.samples += 1

    async def _endpoints(self) -> list[str]:
        found = await self.conn.client.smembers(self.keys.endpoints)
        return sorted(e if isinstance(e, str) else e.decode() for e in found)

    async def take_intervals(self) -> dict[str, EndpointInterval]:
        """Hand over the interval: this replica's samples and the traffic every replica added."""
        endpoints = sorted(set(await self._endpoints()) | set(self._intervals))
        script = self.conn.script(TAKE)
        async with self.conn.client.pipeline(transaction=False) as pipe:
            for ep in endpoints:
                await script(keys=[self.keys.traffic(ep)], client=pipe)
            taken = await pipe.execute()
        out: dict[str, EndpointInterval] = {}
        for ep, (req, sent) in zip(endpoints, taken, strict=True):
            iv = self._intervals.get(ep) or EndpointInterval()
            iv.requests, iv.bytes = int(req or 0), int(sent or 0)
            n = self._counts.get(ep, 0)
            if iv.peak or iv.requests or iv.bytes or n:
                iv.peak = max(iv.peak, n)
                if not iv.samples:  # no sweep ran in this interval: use the count now
                    iv.total, iv.samples = n, 1
                out[ep] = iv
        self._intervals = {}
        return out
