"""Accepting signed node messages: signature, node admission, replay protection, then apply.

Viewer batches (`ingest`) and control messages (`control`) follow the same rules. A node is
admitted when its public key is listed in `SENDER_METRICS_NODE_KEYS`, or when its first
message carries `Authorization: Bearer <SENDER_METRICS_INGEST_TOKEN>`; either way its key is
then pinned, and later messages must be signed by that key. Sequence numbers are tracked per
node, boot and channel (batches and control are numbered apart, their lanes deliver
independently): a message at or below the last one accepted from that boot is a replay. The
last accepted sequence is stored before the message is applied, so replays stay refused
across a restart of the metrics role. Pins and sequences live in a `NodeRegistry` (the
database, or Redis shared by every replica), viewers in a `ViewerState`, stream states in a
`StreamStore`.
"""

from __future__ import annotations

__all__ = ["IngestService"]

import contextlib
import hmac
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from prometheus_client import Counter as PromCounter
from pydantic import ValidationError

from sender_common.errors import ConflictError, InvalidInputError, SenderError, UnauthorizedError
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
from sender_metrics.nodes import REPLAY, NodeRegistry
from sender_metrics.service_metrics import ServiceMetrics
from sender_metrics.settings import MetricsSettings
from sender_metrics.stream_states import StreamBook, StreamStore
from sender_metrics.viewers import ViewerState

KNOWN_ROLES = frozenset({"origin", "edge"})
BATCHES = "batches"
CONTROL = "control"

M = TypeVar("M", bound=NodeMessage)


class IngestService:
    """Verifies and applies node messages; every refusal is counted by reason."""

    def __init__(
        self,
        settings: MetricsSettings,
        nodes: NodeRegistry,
        book: ViewerState,
        metrics: ServiceMetrics,
        *,
        streams: StreamStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.nodes = nodes
        self.book = book
        self.streams = streams if streams is not None else StreamBook()
        self.metrics = metrics
        self.clock = clock
        self.allowed = frozenset(settings.metrics_node_keys)
        token = settings.metrics_ingest_token
        self._token = f"Bearer {token}".encode() if token else None
        self._pins: dict[str, str] = {}  # a pin never changes once made: safe to cache

    async def ingest(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Accept one viewer batch; returns how many viewer entries it carried."""
        with _refusals(self.metrics.rejected):
            batch = self._parse(ViewerBatch, body, headers)
            await self._admit(batch, headers)
            await self._sequence(batch, BATCHES)
        await self._apply(batch)
        return len(batch.viewers)

    async def control(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Accept one control message (a stream's state); returns its resource."""
        with _refusals(self.metrics.control_rejected):
            msg = self._parse(ControlMessage, body, headers)
            state = _stream_state(msg)
            await self._admit(msg, headers)
            await self._sequence(msg, CONTROL)
        await self.streams.put(state)
        self.metrics.control.labels(msg.resource).inc()
        return msg.resource

    def _parse(self, kind: type[M], body: bytes, headers: Mapping[str, str]) -> M:
        if len(body) > self.settings.max_batch_bytes:
            raise RejectedMessage("too_large", InvalidInputError("message too large"))
        try:
            msg = kind.model_validate_json(body)
        except ValidationError as exc:
            raise RejectedMessage("invalid", InvalidInputError(f"invalid message: {exc}")) from exc
        try:
            implied = node_id_for(msg.public_key)
        except ValueError:
            implied = ""
        if implied != msg.node_id or headers.get(NODE_HEADER) != msg.node_id:
            raise RejectedMessage("bad_key", UnauthorizedError("node id does not match its key"))
        signature = headers.get(SIGNATURE_HEADER, "")
        if not verify_signature(msg.public_key, signature, body):
            raise RejectedMessage("bad_signature", UnauthorizedError("bad message signature"))
        return msg

    async def _admit(self, msg: NodeMessage, headers: Mapping[str, str]) -> None:
        pinned = self._pins.get(msg.node_id)
        if pinned is None:
            pinned = await self.nodes.pinned(msg.node_id)
        if pinned is None:
            given = headers.get("authorization", "").encode()
            token_ok = self._token is not None and hmac.compare_digest(given, self._token)
            if msg.public_key not in self.allowed and not token_ok:
                raise RejectedMessage("unknown_node", UnauthorizedError("node not admitted"))
            pinned = await self.nodes.pin(msg.node_id, msg.public_key, msg.role)
        self._pins[msg.node_id] = pinned
        if pinned != msg.public_key:
            raise RejectedMessage(
                "key_mismatch", UnauthorizedError("node key differs from the pinned")
            )

    async def _sequence(self, msg: NodeMessage, channel: str) -> None:
        """Refuse stale messages and replays; store the new last sequence before applying."""
        if self.clock() - msg.sent_at > self.settings.max_batch_age_seconds:
            raise RejectedMessage("stale", ConflictError("message too old"))
        reason = await self.nodes.advance(msg, channel)
        if reason == REPLAY:
            raise RejectedMessage(reason, ConflictError(f"seq {msg.seq} already seen"))
        if reason:
            raise RejectedMessage(reason, ConflictError("message from an earlier node boot"))

    async def _apply(self, batch: ViewerBatch) -> None:
        m, cap = self.metrics, self.metrics.cap
        role = batch.role if batch.role in KNOWN_ROLES else "other"
        for endpoint, n in (await self.book.record(batch)).items():
            m.sessions_started.labels(cap(endpoint)).inc(n)
        for c in batch.counters:
            label = cap(c.endpoint)
            if c.heartbeats:
                m.heartbeats.labels(label).inc(c.heartbeats)
            if c.requests:
                m.hls_requests.labels(label, role).inc(c.requests)
            if c.bytes:
                m.hls_bytes.labels(label, role).inc(c.bytes)
        m.batches.inc()


def _stream_state(msg: ControlMessage) -> StreamStateData:
    """The payload of a `stream_state` message, the one control resource applied here."""
    if msg.resource != "stream_state":
        raise RejectedMessage(
            "invalid", InvalidInputError(f"unknown control resource {msg.resource!r}")
        )
    try:
        return StreamStateData.model_validate(msg.payload)
    except ValidationError as exc:
        raise RejectedMessage("invalid", InvalidInputError(f"invalid stream_state: {exc}")) from exc


@contextlib.contextmanager
def _refusals(counter: PromCounter) -> Iterator[None]:
    """Count a refusal by its reason and raise the error it maps to."""
    try:
        yield
    except RejectedMessage as exc:
        counter.labels(exc.reason).inc()
        raise exc.error from None


class RejectedMessage(SenderError):
    def __init__(self, reason: str, error: SenderError) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error
