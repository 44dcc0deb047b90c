"""What a node sends to the metrics role, signed (wire format, both sides).

Two message kinds share the signed header (`NodeMessage`): viewer batches on the bulk lane
(`INGEST_PATH`) and control messages such as a stream's state on the control lane
(`CONTROL_PATH`). Each kind has its own sequence space per node boot, because the two lanes
deliver independently and may overtake each other.
"""

from __future__ import annotations

__all__ = [
    "CONTROL_PATH",
    "INGEST_PATH",
    "NODE_HEADER",
    "SIGNATURE_HEADER",
    "ControlMessage",
    "CounterEntry",
    "NodeMessage",
    "StreamStateData",
    "ViewerBatch",
    "ViewerEntry",
    "node_id_for",
]

import base64
import hashlib
from typing import Any

from pydantic import BaseModel, Field

from sender_common.models import SLUG_PATTERN, SessionState

INGEST_PATH = "/api/v1/ingest/batches"
CONTROL_PATH = "/api/v1/ingest/control"
SIGNATURE_HEADER = "X-Sender-Signature"
NODE_HEADER = "X-Sender-Node"
INT64_MAX = 2**63 - 1
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


class NodeMessage(BaseModel):
    """Who sent a message, from which boot, and where it sits in that boot's sequence."""

    node_id: str = Field(max_length=64)
    role: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    public_key: str = Field(max_length=128)
    boot_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    boot_at: float
    seq: int = Field(ge=0, le=INT64_MAX)  # stored as a 64-bit integer
    sent_at: float


class ViewerBatch(NodeMessage):
    """One node's viewers touched and counter deltas since its previous batch."""

    viewers: list[ViewerEntry] = Field(default_factory=list)
    counters: list[CounterEntry] = Field(default_factory=list)


class ControlMessage(NodeMessage):
    """One small control-lane resource update; `payload` is validated per `resource`."""

    resource: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    payload: dict[str, Any]


class StreamStateData(BaseModel):
    """The payload of a `stream_state` control message: one endpoint's media session."""

    endpoint: str = Field(pattern=SLUG_PATTERN)
    generation: int | None = Field(default=None, ge=0, le=INT64_MAX)
    generation_open: bool = False
    state: SessionState
    at: float
