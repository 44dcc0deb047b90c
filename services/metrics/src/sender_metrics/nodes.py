"""Where node key pins and last accepted sequences live: the role's database by default.

`NodeRegistry` is the small interface `IngestService` needs; `DatabaseNodes` keeps pins and
sequences in SQL (one metrics process), `sender_metrics.replicas.nodes.RedisNodes` in Redis
(any number of replicas).
"""

from __future__ import annotations

__all__ = ["OLD_BOOT", "REPLAY", "DatabaseNodes", "NodeRegistry", "refusal"]

import asyncio
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from sender_common.models import utcnow
from sender_common.viewers.batch import NodeMessage
from sender_metrics.models import NodeKey, NodeSequence

REPLAY = "replay"
OLD_BOOT = "old_boot"


class NodeRegistry(Protocol):
    async def pinned(self, node_id: str) -> str | None:
        """The public key pinned for `node_id`, if any."""
        ...

    async def pin(self, node_id: str, public_key: str, role: str) -> str:
        """Pin a key; when another request pinned first, return the key that won."""
        ...

    async def advance(self, msg: NodeMessage, channel: str) -> str | None:
        """Store `msg` as its node's last on `channel`, or return why it is refused."""
        ...


def refusal(msg: NodeMessage, boot_id: str, boot_at: float, seq: int) -> str | None:
    """Why `msg` is refused after (boot_id, boot_at, seq) was accepted; None if it is not."""
    if msg.boot_id == boot_id and msg.seq <= seq:
        return REPLAY
    if msg.boot_id != boot_id and msg.boot_at < boot_at:
        return OLD_BOOT
    return None


def _read_pin(engine: Engine, node_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(NodeKey, node_id)
        return row.public_key if row else None


def _write_pin(engine: Engine, node_id: str, public_key: str, role: str) -> str:
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


class DatabaseNodes:
    """Pins and sequences in the role's database, sequences cached (one process owns them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # (node, channel) -> the last accepted; None: looked up, nothing stored yet
        self._seqs: dict[tuple[str, str], NodeSequence | None] = {}
        self._lock = asyncio.Lock()

    async def pinned(self, node_id: str) -> str | None:
        return await asyncio.to_thread(_read_pin, self.engine, node_id)

    async def pin(self, node_id: str, public_key: str, role: str) -> str:
        return await asyncio.to_thread(_write_pin, self.engine, node_id, public_key, role)

    async def advance(self, msg: NodeMessage, channel: str) -> str | None:
        key = (msg.node_id, channel)
        async with self._lock:  # check and store as one step, in arrival order
            if key not in self._seqs:
                self._seqs[key] = await asyncio.to_thread(_read_seq, self.engine, *key)
            last = self._seqs[key]
            if last is not None:
                reason = refusal(msg, last.boot_id, last.boot_at, last.seq)
                if reason:
                    return reason
            self._seqs[key] = await asyncio.to_thread(_write_seq, self.engine, msg, channel)
            return None
