"""A metrics role process for the ingest benches, and the signed batches they post to it."""

from __future__ import annotations

__all__ = ["body_for", "start_metrics"]

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sender_common.node import NodeIdentity
from tests.procs import free_port


def start_metrics(
    data_dir: Path, node_key: str, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "SENDER_DATA_DIR": str(data_dir),
        "SENDER_METRICS_NODE_KEYS": node_key,
        "SENDER_LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "sender_metrics.main:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"metrics exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("metrics did not become ready")


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
