"""Active viewers across every node, deduplicated by viewer key, plus interval accumulators.

A viewer reported by two nodes (a player moving between edges, or two renditions fetched via
different nodes) is one key in its endpoint's map, so it counts once.
"""

from __future__ import annotations

__all__ = ["EndpointInterval", "ViewerBook", "ViewerState"]

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sender_common.viewers.batch import CounterEntry, ViewerBatch, ViewerEntry


@dataclass(slots=True)
class EndpointInterval:
    """What one endpoint did since the last snapshot."""

    peak: int = 0
    total: int = 0
    samples: int = 0
    requests: int = 0
    bytes: int = 0

    @property
    def avg(self) -> float:
        return self.total / self.samples if self.samples else 0.0


class ViewerState(Protocol):
    """Active viewers and interval accumulators: in this process (`ViewerBook`) or shared by
    replicas (`sender_metrics.replicas.viewers.RedisViewers`)."""

    async def record(self, batch: ViewerBatch) -> dict[str, int]:
        """Apply a batch's viewers and counters; returns new viewer sessions per endpoint."""
        ...

    async def active_now(self, endpoint: str) -> int:
        """Viewers of `endpoint` active right now (exact)."""
        ...

    def counts(self) -> dict[str, int]:
        """Active viewers per endpoint for the Prometheus collector (no I/O)."""
        ...

    async def sweep(self) -> None:
        """Expire idle viewers and sample the counts for the snapshot."""
        ...

    async def take_intervals(self) -> dict[str, EndpointInterval]:
        """Hand over every endpoint's interval and start new ones."""
        ...


@dataclass(slots=True)
class _Endpoint:
    viewers: dict[str, float] = field(default_factory=dict)
    interval: EndpointInterval = field(default_factory=EndpointInterval)


class ViewerBook:
    """Viewer key -> last seen (unix seconds), per endpoint."""

    def __init__(self, idle_seconds: float, *, clock: Callable[[], float] = time.time) -> None:
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._endpoints: dict[str, _Endpoint] = {}

    def _ep(self, endpoint: str) -> _Endpoint:
        ep = self._endpoints.get(endpoint)
        if ep is None:
            ep = self._endpoints[endpoint] = _Endpoint()
        return ep

    def update(self, viewers: Iterable[ViewerEntry]) -> list[str]:
        """Record viewers; returns the endpoint of each viewer that is new (one per new key)."""
        now = self.clock()
        cutoff = now - self.idle_seconds
        started: list[str] = []
        for v in viewers:
            seen = min(v.last_seen, now)  # a node's clock ahead of ours must not extend a session
            if seen <= cutoff:
                continue
            known = self._ep(v.endpoint).viewers
            before = known.get(v.vsid_or_ip_hash)
            if before is None:
                started.append(v.endpoint)
                known[v.vsid_or_ip_hash] = seen
            elif seen > before:
                known[v.vsid_or_ip_hash] = seen
        return started

    def add_counters(self, counters: Iterable[CounterEntry]) -> None:
        for c in counters:
            interval = self._ep(c.endpoint).interval
            interval.requests += c.requests
            interval.bytes += c.bytes

    async def record(self, batch: ViewerBatch) -> dict[str, int]:
        started = Counter(self.update(batch.viewers))
        self.add_counters(batch.counters)
        return dict(started)

    async def active_now(self, endpoint: str) -> int:
        return self.active(endpoint)

    async def sweep(self) -> None:
        """Expire idle viewers and take one sample of each endpoint's count for the snapshot."""
        cutoff = self.clock() - self.idle_seconds
        for ep in self._endpoints.values():
            stale = [k for k, seen in ep.viewers.items() if seen <= cutoff]
            for k in stale:
                del ep.viewers[k]
            n = len(ep.viewers)
            ep.interval.peak = max(ep.interval.peak, n)
            ep.interval.total += n
            ep.interval.samples += 1

    def active(self, endpoint: str) -> int:
        ep = self._endpoints.get(endpoint)
        if ep is None:
            return 0
        cutoff = self.clock() - self.idle_seconds
        return sum(1 for seen in ep.viewers.values() if seen > cutoff)

    def counts(self) -> dict[str, int]:
        return {name: self.active(name) for name in self._endpoints}

    async def take_intervals(self) -> dict[str, EndpointInterval]:
        """Hand over every endpoint's interval and start new ones; drop endpoints gone quiet."""
        out: dict[str, EndpointInterval] = {}
        for name in list(self._endpoints):
            ep = self._endpoints[name]
            iv = ep.interval
            if iv.peak or iv.requests or iv.bytes or ep.viewers:
                iv.peak = max(iv.peak, len(ep.viewers))
                if not iv.samples:  # no sweep ran in this interval: use the count now
                    iv.total, iv.samples = len(ep.viewers), 1
                out[name] = iv
            ep.interval = EndpointInterval()
            if not ep.viewers:
                del self._endpoints[name]
        return out
