"""Accepting viewer batches: signature, node admission, replay protection, then the book.

A node is admitted when its public key is listed in `SENDER_METRICS_NODE_KEYS`, or when its
first batch carries `Authorization: Bearer <SENDER_METRICS_INGEST_TOKEN>`; either way its key
is then pinned, and later batches must be signed by that key. Sequence numbers are tracked per
node and boot: a batch at or below the last one accepted from that boot is a replay.
"""

from __future__ import annotations

__all__ = ["IngestService"]

import asyncio
import hmac
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sender_common.errors import ConflictError, InvalidInputError, SenderError, UnauthorizedError
from sender_common.node import verify_signature
from sender_common.viewers.batch import NODE_HEADER, SIGNATURE_HEADER, ViewerBatch, node_id_for
from sender_metrics.book import ViewerBook
from sender_metrics.metrics import ServiceMetrics
from sender_metrics.models import NodeKey
from sender_metrics.settings import MetricsSettings

KNOWN_ROLES = frozenset({"origin", "edge"})


@dataclass(slots=True)
class _Boot:
    boot_id: str
    boot_at: float
    seq: int


def _read_pin(engine: Engine, node_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(NodeKey, node_id)
        return row.public_key if row else None


def _write_pin(engine: Engine, node_id: str, public_key: str, role: str) -> str:
    """Pin a key; when another request pinned first, return the key that won."""
    with Session(engine) as session:
        session.add(NodeKey(node_id=node_id, public_key=public_key, role=role))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            row = session.get(NodeKey, node_id)
            return row.public_key if row else public_key
    return public_key


class IngestService:
    """Verifies and applies batches; every refusal is counted by reason."""

    def __init__(
        self,
        settings: MetricsSettings,
        engine: Engine,
        book: ViewerBook,
        metrics: ServiceMetrics,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.book = book
        self.metrics = metrics
        self.clock = clock
        self.allowed = frozenset(settings.metrics_node_keys)
        token = settings.metrics_ingest_token
        self._token = f"Bearer {token}".encode() if token else None
        self._pins: dict[str, str] = {}
        self._boots: dict[str, _Boot] = {}

    async def ingest(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Accept one batch; returns how many viewer entries it carried."""
        try:
            batch = self._parse(body, headers)
            await self._admit(batch, headers)
            self._check_sequence(batch)
        except _Rejected as exc:
            self.metrics.rejected.labels(exc.reason).inc()
            raise exc.error from None
        self._apply(batch)
        return len(batch.viewers)

    def _parse(self, body: bytes, headers: Mapping[str, str]) -> ViewerBatch:
        if len(body) > self.settings.max_batch_bytes:
            raise _Rejected("too_large", InvalidInputError("batch too large"))
        try:
            batch = ViewerBatch.model_validate_json(body)
        except ValidationError as exc:
            raise _Rejected("invalid", InvalidInputError(f"invalid batch: {exc}")) from exc
        try:
            implied = node_id_for(batch.public_key)
        except ValueError:
            implied = ""
        if implied != batch.node_id or headers.get(NODE_HEADER) != batch.node_id:
            raise _Rejected("bad_key", UnauthorizedError("node id does not match its key"))
        signature = headers.get(SIGNATURE_HEADER, "")
        if not verify_signature(batch.public_key, signature, body):
            raise _Rejected("bad_signature", UnauthorizedError("bad batch signature"))
        return batch

    async def _admit(self, batch: ViewerBatch, headers: Mapping[str, str]) -> None:
        pinned = self._pins.get(batch.node_id)
        if pinned is None:
            pinned = await asyncio.to_thread(_read_pin, self.engine, batch.node_id)
        if pinned is None:
            given = headers.get("authorization", "").encode()
            token_ok = self._token is not None and hmac.compare_digest(given, self._token)
            if batch.public_key not in self.allowed and not token_ok:
                raise _Rejected("unknown_node", UnauthorizedError("node not admitted"))
            pinned = await asyncio.to_thread(
                _write_pin, self.engine, batch.node_id, batch.public_key, batch.role
            )
        self._pins[batch.node_id] = pinned
        if pinned != batch.public_key:
            raise _Rejected("key_mismatch", UnauthorizedError("node key differs from the pinned"))

    def _check_sequence(self, batch: ViewerBatch) -> None:
        if self.clock() - batch.sent_at > self.settings.max_batch_age_seconds:
            raise _Rejected("stale", ConflictError("batch too old"))
        boot = self._boots.get(batch.node_id)
        if boot is not None:
            if batch.boot_id == boot.boot_id and batch.seq <= boot.seq:
                raise _Rejected("replay", ConflictError(f"seq {batch.seq} already seen"))
            if batch.boot_id != boot.boot_id and batch.boot_at < boot.boot_at:
                raise _Rejected("old_boot", ConflictError("batch from an earlier node boot"))
        self._boots[batch.node_id] = _Boot(batch.boot_id, batch.boot_at, batch.seq)

    def _apply(self, batch: ViewerBatch) -> None:
        m, cap = self.metrics, self.metrics.cap
        role = batch.role if batch.role in KNOWN_ROLES else "other"
        for endpoint, n in Counter(self.book.update(batch.viewers)).items():
            m.sessions_started.labels(cap(endpoint)).inc(n)
        for c in batch.counters:
            label = cap(c.endpoint)
            if c.heartbeats:
                m.heartbeats.labels(label).inc(c.heartbeats)
            if c.requests:
                m.hls_requests.labels(label, role).inc(c.requests)
            if c.bytes:
                m.hls_bytes.labels(label, role).inc(c.bytes)
        self.book.add_counters(batch.counters)
        m.batches.inc()


class _Rejected(Exception):
    def __init__(self, reason: str, error: SenderError) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
