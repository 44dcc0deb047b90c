"""Signed batch builders and a bare viewer-counting node process for the metrics tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sender_common.node import NodeIdentity
from sender_common.settings import CommonSettings
from sender_common.settings_env import given, settings_env
from sender_common.viewers.batch import CONTROL_PATH, INGEST_PATH, NODE_HEADER, SIGNATURE_HEADER
from tests.procs import Proc, free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
INGEST = INGEST_PATH
CONTROL = CONTROL_PATH


def batch_body(
    identity: NodeIdentity,
    seq: int,
    viewers: list[tuple[str, str]] | None = None,
    *,
    role: str = "edge",
    boot_id: str = "boot-aaaaaaaa",
    boot_at: float = 1_000.0,
    counters: list[dict[str, Any]] | None = None,
    last_seen: float | None = None,
    public_key: str | None = None,
) -> bytes:
    now = time.time()
    return json.dumps(
        {
            "node_id": identity.node_id,
            "role": role,
            "public_key": public_key or identity.public_key,
            "boot_id": boot_id,
            "boot_at": boot_at,
            "seq": seq,
            "sent_at": now,
            "viewers": [
                {"endpoint": ep, "vsid_or_ip_hash": key, "last_seen": last_seen or now}
                for ep, key in viewers or []
            ],
            "counters": counters or [],
        }
    ).encode()


def control_body(
    identity: NodeIdentity,
    seq: int,
    state: str = "live",
    *,
    endpoint: str = "x",
    generation: int | None = 1,
    at: float | None = None,
    resource: str = "stream_state",
    boot_id: str = "boot-aaaaaaaa",
    boot_at: float = 1_000.0,
) -> bytes:
    """A `stream_state` control message, as an origin sends it."""
    now = time.time()
    payload = {
        "endpoint": endpoint,
        "generation": generation,
        "generation_open": state == "live",
        "state": state,
        "at": at or now,
    }
    return json.dumps(
        {
            "node_id": identity.node_id,
            "role": "origin",
            "public_key": identity.public_key,
            "boot_id": boot_id,
            "boot_at": boot_at,
            "seq": seq,
            "sent_at": now,
            "resource": resource,
            "payload": payload,
        }
    ).encode()


def signed(
    identity: NodeIdentity, body: bytes, *, signer: NodeIdentity | None = None, token: str = ""
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: (signer or identity).sign(body),
        NODE_HEADER: identity.node_id,
    }
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


def start_node(data_dir: Path, *, settings: Mapping[str, object], timeout: float = 30) -> Proc:
    """A real process serving HLS and player events with `Viewers` (tests.metrics.node_app),
    given these `CommonSettings` field values."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        **settings_env(given(CommonSettings, data_dir=data_dir, **settings)),
    }
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "tests.metrics.node_app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    log_path = data_dir / f"node-{port}.log"
    with log_path.open("ab") as log:
        popen = subprocess.Popen(argv, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    proc = Proc("node", f"http://127.0.0.1:{port}", popen, data_dir, full_env, log_path)
    wait_ready(proc, timeout)
    return proc
