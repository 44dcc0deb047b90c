"""A metrics role process for the ingest benches, and the signed batches they post to it."""

from __future__ import annotations

__all__ = ["body_for", "start_metrics"]

import json
import time
from pathlib import Path

from sender_common.node import NodeIdentity
from tests.procs import Proc, start_role


def start_metrics(
    data_dir: Path, node_keys: str, settings: dict[str, object] | None = None
) -> Proc:
    """A metrics role accepting batches signed by `node_keys` (comma separated), ready."""
    fields = {"metrics_node_keys": node_keys, "log_level": "WARNING", **(settings or {})}
    return start_role("metrics", data_dir, settings=fields, timeout=20)


def body_for(identity: NodeIdentity, seq: int, viewers_json: str) -> bytes:
    head = json.dumps(
        {
            "node_id": identity.node_id,
            "role": "edge",
            "public_key": identity.public_key,
            "boot_id": "bench-boot-0001",
            "boot_at": 1.0,
            "seq": seq,
            "sent_at": time.time(),
        }
    )
    return f'{head[:-1]},"viewers":{viewers_json},"counters":[]}}'.encode()
