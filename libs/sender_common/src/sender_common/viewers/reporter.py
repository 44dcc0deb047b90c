"""Sends this node's viewers to the metrics role: one signed batch every few seconds, plus
signed control messages (a stream's state) on the control lane when the node has news."""

from __future__ import annotations

__all__ = ["Reporter"]

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from sender_common.node import NodeIdentity
from sender_common.viewers.batch import (
    CONTROL_PATH,
    INGEST_PATH,
    NODE_HEADER,
    SIGNATURE_HEADER,
)
from sender_common.viewers.lanes import Envelope, Lane, Lanes
from sender_common.viewers.tracker import ViewerTracker


@dataclass(eq=False)
class Reporter:
    """Drains the tracker into one signed batch per tick and queues it on the bulk lane;
    signs control messages, numbered in their own sequence, for the control lane."""

    tracker: ViewerTracker
    identity: NodeIdentity
    role: str
    lanes: Lanes
    _: KW_ONLY
    token: str | None = None
    max_viewers: int = 10_000
    clock: Callable[[], float] = time.time
    boot_id: str = field(init=False, default_factory=lambda: secrets.token_urlsafe(12))
    boot_at: float = field(init=False)
    seq: int = field(init=False, default=0)
    control_seq: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.boot_at = self.clock()

    def _header(self, seq: int) -> dict[str, Any]:
        return {
            "node_id": self.identity.node_id,
            "role": self.role,
            "public_key": self.identity.public_key,
            "boot_id": self.boot_id,
            "boot_at": self.boot_at,
            "seq": seq,
            "sent_at": self.clock(),
        }

    def build(self) -> list[bytes]:
        """The next batches' bodies (none when nothing happened), `max_viewers` entries each."""
        viewers, counters = self.tracker.drain()
        if not viewers and not counters:
            return []
        rows = [
            {"endpoint": ep, "vsid_or_ip_hash": key, "last_seen": seen} for ep, key, seen in viewers
        ]
        chunks = [rows[i : i + self.max_viewers] for i in range(0, len(rows), self.max_viewers)]
        counter_rows = [
            {
                "endpoint": ep,
                "requests": c.requests,
                "bytes": c.bytes,
                "heartbeats": c.heartbeats,
                "sessions_started": c.sessions_started,
            }
            for ep, c in counters.items()
        ]
        bodies = []
        for i, chunk in enumerate(chunks or [[]]):
            self.seq += 1
            batch = {
                **self._header(self.seq),
                "viewers": chunk,
                "counters": counter_rows if i == 0 else [],
            }
            bodies.append(json.dumps(batch, separators=(",", ":")).encode())
        return bodies

    def envelope(
        self, body: bytes, resource: str = "viewer_batches", path: str = INGEST_PATH
    ) -> Envelope:
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: self.identity.sign(body),
            NODE_HEADER: self.identity.node_id,
        }
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return Envelope(resource, path, body, headers)

    def tick(self) -> None:
        for body in self.build():
            self.lanes.submit(self.envelope(body))

    def control(self, resource: str, payload: Mapping[str, Any]) -> Lane:
        """Sign one control message for `resource` and queue it on that resource's lane."""
        self.control_seq += 1
        message = {**self._header(self.control_seq), "resource": resource, "payload": payload}
        body = json.dumps(message, separators=(",", ":")).encode()
        return self.lanes.submit(self.envelope(body, resource, CONTROL_PATH))

    async def final(self, timeout: float) -> bool:
        """One last batch, then wait up to `timeout` for the bulk queue to be delivered."""
        self.tick()
        return await self.lanes.flush(timeout, (Lane.bulk,))
