"""Accepting signed node messages: signature, node admission, replay protection, then apply.

Viewer batches (`ingest`) and control messages (`control`) follow the same rules. A node is
admitted when its public key is listed in `SENDER_METRICS_NODE_KEYS`, or when its first
message carries `Authorization: Bearer <SENDER_METRICS_INGEST_TOKEN>`; either way its key is
then pinned, and later messages must be signed by that key. Sequence numbers are tracked per
node, boot and channel (batches and control are numbered apart, their lanes deliver
independently): a message at or below the last one accepted from that boot is a replay. The
last accepted sequence is stored before the message is applied, so replays stay refused
across a restart of the metrics role.
"""

from __future__ import annotations

__all__ = ["IngestService"]

import asyncio
import contextlib
import hmac
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from prometheus_client import Counter as PromCounter
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sender_common.errors import ConflictError, InvalidInputError, SenderError, UnauthorizedError
from sender_common.models import utcnow
from sender_common.node import verify_signature
from sender_common.viewers.batch import (
    NODE_HEADER,
    SIGNATURE_HEADER,
    ControlMessage,
    NodeMessage,
    StreamStateData,
    ViewerBatch,
    node_id_for,
)
from sender_metrics.book import ViewerBook
from sender_metrics.metrics import ServiceMetrics
from sender_metrics.models import NodeKey, NodeSequence
from sender_metrics.settings import MetricsSettings
from sender_metrics.streams import StreamBook

KNOWN_ROLES = frozenset({"origin", "edge"})
BATCHES = "batches"
CONTROL = "control"

M = TypeVar("M", bound=NodeMessage)


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


def _read_seq(engine: Engine, node_id: str, channel: str) -> NodeSequence | None:
    with Session(engine) as session:
        row = session.get(NodeSequence, (node_id, channel))
        if row is not None:
            session.expunge(row)
        return row


def _write_seq(engine: Engine, msg: NodeMessage, channel: str) -> NodeSequence:
    """Upsert the last accepted sequence of `msg`'s node and channel."""
    with Session(engine) as session:
        row = session.get(NodeSequence, (msg.node_id, channel))
        if row is None:
            row = NodeSequence(node_id=msg.node_id, channel=channel, boot_id="", boot_at=0, seq=0)
        row.boot_id, row.boot_at, row.seq = msg.boot_id, msg.boot_at, msg.seq
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
        session.refresh(row)
        session.expunge(row)
        return row


class IngestService:
    """Verifies and applies node messages; every refusal is counted by reason."""

    def __init__(
        self,
        settings: MetricsSettings,
        engine: Engine,
        book: ViewerBook,
        metrics: ServiceMetrics,
        *,
        streams: StreamBook | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.book = book
        self.streams = streams if streams is not None else StreamBook()
        self.metrics = metrics
        self.clock = clock
        self.allowed = frozenset(settings.metrics_node_keys)
        token = settings.metrics_ingest_token
        self._token = f"Bearer {token}".encode() if token else None
        self._pins: dict[str, str] = {}
        # (node, channel) -> the last accepted; None: looked up, nothing stored yet
        self._seqs: dict[tuple[str, str], NodeSequence | None] = {}
        self._seq_lock = asyncio.Lock()

    async def ingest(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Accept one viewer batch; returns how many viewer entries it carried."""
        with _refusals(self.metrics.rejected):
            batch = self._parse(ViewerBatch, body, headers)
            await self._admit(batch, headers)
            await self._sequence(batch, BATCHES)
        self._apply(batch)
        return len(batch.viewers)

    async def control(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Accept one control message (a stream's state); returns its resource."""
        with _refusals(self.metrics.control_rejected):
            msg = self._parse(ControlMessage, body, headers)
            state = _stream_state(msg)
            await self._admit(msg, headers)
            await self._sequence(msg, CONTROL)
        self.streams.update(state)
        self.metrics.control.labels(msg.resource).inc()
        return msg.resource

    def _parse(self, kind: type[M], body: bytes, headers: Mapping[str, str]) -> M:
        if len(body) > self.settings.max_batch_bytes:
            raise _Rejected("too_large", InvalidInputError("message too large"))
        try:
            msg = kind.model_validate_json(body)
        except ValidationError as exc:
            raise _Rejected("invalid", InvalidInputError(f"invalid message: {exc}")) from exc
        try:
            implied = node_id_for(msg.public_key)
        except ValueError:
            implied = ""
        if implied != msg.node_id or headers.get(NODE_HEADER) != msg.node_id:
            raise _Rejected("bad_key", UnauthorizedError("node id does not match its key"))
        signature = headers.get(SIGNATURE_HEADER, "")
        if not verify_signature(msg.public_key, signature, body):
            raise _Rejected("bad_signature", UnauthorizedError("bad message signature"))
        return msg

    async def _admit(self, msg: NodeMessage, headers: Mapping[str, str]) -> None:
        pinned = self._pins.get(msg.node_id)
        if pinned is None:
            pinned = await asyncio.to_thread(_read_pin, self.engine, msg.node_id)
        if pinned is None:
            given = headers.get("authorization", "").encode()
            token_ok = self._token is not None and hmac.compare_digest(given, self._token)
            if msg.public_key not in self.allowed and not token_ok:
                raise _Rejected("unknown_node", UnauthorizedError("node not admitted"))
            pinned = await asyncio.to_thread(
                _write_pin, self.engine, msg.node_id, msg.public_key, msg.role
            )
        self._pins[msg.node_id] = pinned
        if pinned != msg.public_key:
            raise _Rejected("key_mismatch", UnauthorizedError("node key differs from the pinned"))

    async def _sequence(self, msg: NodeMessage, channel: str) -> None:
        """Refuse stale messages and replays; store the new last sequence before applying."""
        if self.clock() - msg.sent_at > self.settings.max_batch_age_seconds:
            raise _Rejected("stale", ConflictError("message too old"))
        key = (msg.node_id, channel)
        async with self._seq_lock:  # check and store as one step, in arrival order
            if key not in self._seqs:
                self._seqs[key] = await asyncio.to_thread(_read_seq, self.engine, *key)
            last = self._seqs[key]
            if last is not None:
                if msg.boot_id == last.boot_id and msg.seq <= last.seq:
                    raise _Rejected("replay", ConflictError(f"seq {msg.seq} already seen"))
                if msg.boot_id != last.boot_id and msg.boot_at < last.boot_at:
                    raise _Rejected("old_boot", ConflictError("message from an earlier node boot"))
            self._seqs[key] = await asyncio.to_thread(_write_seq, self.engine, msg, channel)

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


def _stream_state(msg: ControlMessage) -> StreamStateData:
    """The payload of a `stream_state` message, the one control resource applied here."""
    if msg.resource != "stream_state":
        raise _Rejected("invalid", InvalidInputError(f"unknown control resource {msg.resource!r}"))
    try:
        return StreamStateData.model_validate(msg.payload)
    except ValidationError as exc:
        raise _Rejected("invalid", InvalidInputError(f"invalid stream_state: {exc}")) from exc


@contextlib.contextmanager
def _refusals(counter: PromCounter) -> Iterator[None]:
    """Count a refusal by its reason and raise the error it maps to."""
    try:
        yield
    except _Rejected as exc:
        counter.labels(exc.reason).inc()
        raise exc.error from None


class _Rejected(Exception):
    def __init__(self, reason: str, error: SenderError) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
