"""Viewer sessions on one node, and the per-endpoint counters reported with them.

A session is keyed by the player's `vsid` (`v:<vsid>`) or, for plain clients without one,
by a salted hash of the client address (`h:<hash>`), per endpoint; raw addresses are never
kept. A session lives while it is touched (playlist reloads, player events) and expires
after `idle_seconds` of silence.
"""

from __future__ import annotations

__all__ = ["EndpointCounters", "ViewerTracker", "client_key", "expire", "seen_since", "vsid_key"]

import functools
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field


def vsid_key(vsid: str) -> str:
    return "v:" + vsid


@functools.lru_cache(maxsize=16_384)  # keyed by (ip, salt): a viewer's requests hash once
def client_key(ip: str, salt: str) -> str:
    """A per-deployment salted hash of a client address; the address itself never leaves."""
    digest = hashlib.sha256(f"sender-viewer\x00{salt}\x00{ip}".encode()).hexdigest()
    return "h:" + digest[:32]


def seen_since(seen: Mapping[str, float], cutoff: float) -> int:
    """How many keys of `seen` (key -> when last seen) were seen after `cutoff`."""
    return sum(1 for when in seen.values() if when > cutoff)


def expire(seen: dict[str, float], cutoff: float) -> list[str]:
    """Remove the keys of `seen` last seen at or before `cutoff`; returns them."""
    gone = [key for key, when in seen.items() if when <= cutoff]
    for key in gone:
        del seen[key]
    return gone


@dataclass(slots=True)
class EndpointCounters:
    requests: int = 0
    bytes: int = 0
    heartbeats: int = 0
    sessions_started: int = 0

    def empty(self) -> bool:
        return not (self.requests or self.bytes or self.heartbeats or self.sessions_started)


@dataclass(slots=True)
class _Endpoint:
    sessions: dict[str, float] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    # address hashes that recently came with a vsid: their plain fetches are the same viewer
    vsid_clients: dict[str, float] = field(default_factory=dict)
    # the vsid sessions each address hash opened: one address cannot mint unlimited viewers
    client_vsids: dict[str, set[str]] = field(default_factory=dict)
    pending: EndpointCounters = field(default_factory=EndpointCounters)


@dataclass(eq=False)
class ViewerTracker:
    """Active sessions per endpoint, plus counter deltas not yet reported."""

    idle_seconds: float
    _: KW_ONLY
    max_sessions: int = 200_000
    max_per_client: int = 50
    clock: Callable[[], float] = time.time
    _endpoints: dict[str, _Endpoint] = field(init=False, default_factory=dict)
    _total: int = field(init=False, default=0)
    refused: int = field(init=False, default=0)

    def _ep(self, endpoint: str) -> _Endpoint:
        ep = self._endpoints.get(endpoint)
        if ep is None:
            ep = self._endpoints[endpoint] = _Endpoint()
        return ep

    def touch(self, endpoint: str, key: str, *, via: str | None = None) -> bool:
        """Keep a session alive; True when it is new. `via` is the client hash of a vsid fetch."""
        now = self.clock()
        ep = self._ep(endpoint)
        if via is not None:
            ep.vsid_clients[via] = now
        elif key in ep.vsid_clients and now - ep.vsid_clients[key] < self.idle_seconds:
            return False  # a vsid player's fetch without its vsid: already counted
        new = key not in ep.sessions
        if new:
            if self._total >= self.max_sessions:
                self.refused += 1
                return False
            if via is not None:
                mine = ep.client_vsids.setdefault(via, set())
                if len(mine) >= self.max_per_client:
                    self.refused += 1  # more players than one address plausibly has
                    return False
                mine.add(key)
            self._total += 1
            ep.pending.sessions_started += 1
        ep.sessions[key] = now
        ep.dirty.add(key)
        return new

    def end(self, endpoint: str, key: str) -> None:
        """The player said it ended: drop the session now rather than at expiry."""
        ep = self._endpoints.get(endpoint)
        if ep is not None and ep.sessions.pop(key, None) is not None:
            self._total -= 1
            ep.dirty.discard(key)
            for keys in ep.client_vsids.values():
                keys.discard(key)

    def has(self, endpoint: str, key: str) -> bool:
        ep = self._endpoints.get(endpoint)
        return ep is not None and key in ep.sessions

    def count_request(self, endpoint: str, nbytes: int) -> None:
        pending = self._ep(endpoint).pending
        pending.requests += 1
        pending.bytes += nbytes

    def count_heartbeat(self, endpoint: str) -> None:
        self._ep(endpoint).pending.heartbeats += 1

    def active(self, endpoint: str) -> int:
        """Sessions of `endpoint` seen within the idle timeout."""
        ep = self._endpoints.get(endpoint)
        return 0 if ep is None else seen_since(ep.sessions, self.clock() - self.idle_seconds)

    def counts(self) -> dict[str, int]:
        """Active sessions of every endpoint that has any."""
        out = {name: self.active(name) for name in self._endpoints}
        return {name: n for name, n in out.items() if n}

    def sweep(self) -> int:
        """Forget expired sessions and idle endpoints; returns how many sessions expired."""
        cutoff = self.clock() - self.idle_seconds
        expired = 0
        for name in list(self._endpoints):
            ep = self._endpoints[name]
            gone = expire(ep.sessions, cutoff)
            ep.dirty.difference_update(gone)
            expired += len(gone)
            ep.vsid_clients = {k: t for k, t in ep.vsid_clients.items() if t > cutoff}
            for client, keys in list(ep.client_vsids.items()):
                keys.intersection_update(ep.sessions)
                if not keys:
                    del ep.client_vsids[client]
            if not ep.sessions and not ep.vsid_clients and ep.pending.empty():
                del self._endpoints[name]
        self._total -= expired
        return expired

    def drain(self) -> tuple[list[tuple[str, str, float]], dict[str, EndpointCounters]]:
        """Sessions touched and counter deltas since the last drain, resetting both."""
        viewers: list[tuple[str, str, float]] = []
        counters: dict[str, EndpointCounters] = {}
        for name, ep in self._endpoints.items():
            viewers.extend((name, key, ep.sessions[key]) for key in ep.dirty if key in ep.sessions)
            ep.dirty = set()
            if not ep.pending.empty():
                counters[name] = ep.pending
                ep.pending = EndpointCounters()
        return viewers, counters
