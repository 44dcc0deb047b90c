"""The signed viewer batch a node sends to the metrics role (wire format, both sides)."""

from __future__ import annotations

__all__ = [
    "INGEST_PATH",
    "NODE_HEADER",
    "SIGNATURE_HEADER",
    "CounterEntry",
    "ViewerBatch",
    "ViewerEntry",
    "node_id_for",
]

import base64
import hashlib

from pydantic import BaseModel, Field

from sender_common.models import SLUG_PATTERN

INGEST_PATH = "/api/v1/ingest/batches"
SIGNATURE_HEADER = "X-Sender-Signature"
NODE_HEADER = "X-Sender-Node"
VIEWER_KEY_PATTERN = r"^[vh]:[A-Za-z0-9_-]{8,64}$"


def node_id_for(public_key: str) -> str:
    """The node id a public key implies (the same derivation as `NodeIdentity`)."""
    raw = base64.urlsafe_b64decode(public_key + "=" * (-len(public_key) % 4))
    return "n" + hashlib.sha256(raw).hexdigest()[:20]


class ViewerEntry(BaseModel):
    endpoint: str = Field(pattern=SLUG_PATTERN)
    vsid_or_ip_hash: str = Field(pattern=VIEWER_KEY_PATTERN)
    last_seen: float


class CounterEntry(BaseModel):
    endpoint: str = Field(pattern=SLUG_PATTERN)
    requests: int = Field(default=0, ge=0)
    bytes: int = Field(default=0, ge=0)
    heartbeats: int = Field(default=0, ge=0)
    sessions_started: int = Field(default=0, ge=0)


class ViewerBatch(BaseModel):
    """One node's viewers touched and counter deltas since its previous batch."""

    node_id: str = Field(max_length=64)
    role: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    public_key: str = Field(max_length=128)
    boot_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    boot_at: float
    seq: int = Field(ge=0)
    sent_at: float
    viewers: list[ViewerEntry] = Field(default_factory=list)
    counters: list[CounterEntry] = Field(default_factory=list)
