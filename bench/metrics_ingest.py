"""Ingest throughput of the metrics role.

Part 1, one process (SQLite, in-process viewers): signed batches of N viewers, N = 100, 1k,
10k, for a bounded time per size; prints viewer updates per second and the cost per viewer.

Part 2, two replicas sharing a real redis-server (`SENDER_METRICS_REDIS_URL`): senders post
batches of fresh viewers (every batch distinct keys, a fifth of them carried over from the
sender's previous batch, as viewers that keep watching) to both replicas at once; prints
updates/s per replica and in total, p99 batch latency, replica and Redis CPU, then checks the
counts are exact for 3 edges x 1,000 viewers (20 % seen by two edges) and how long they take
to settle at zero once the viewers leave.

Everything runs on 127.0.0.1 with throwaway data dirs and this script's node keys allow-listed.
Run: `.venv/bin/python bench/metrics_ingest.py [--part single|replicas|both]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sender_common.node import NodeIdentity
from sender_common.viewers.batch import INGEST_PATH, NODE_HEADER, SIGNATURE_HEADER

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.*, tests.*

from bench.metrics_node import body_for, start_metrics
from bench.metrics_replicas import run_replicas

SIZES = (100, 1_000, 10_000)
GOAL_UPDATES_PER_SECOND = 5_000


def run_size(
    client: httpx.Client, identity: NodeIdentity, n: int, seconds: float, seq: int
) -> tuple[int, float, float, float]:
    """Returns (next seq, updates/s, server µs per viewer, client build+sign µs per viewer)."""
    now = time.time()
    viewers_json = json.dumps(
        [
            {"endpoint": f"ep{i % 10}", "vsid_or_ip_hash": f"v:bench-{n}-{i:08d}", "last_seen": now}
            for i in range(n)
        ]
    )
    posted = batches = 0
    post_time = build_time = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or batches < 3:
        t0 = time.perf_counter()
        body = body_for(identity, seq, viewers_json)
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: identity.sign(body),
            NODE_HEADER: identity.node_id,
        }
        t1 = time.perf_counter()
        r = client.post(INGEST_PATH, content=body, headers=headers)
        t2 = time.perf_counter()
        if r.status_code != 202:
            raise SystemExit(f"ingest refused: {r.status_code} {r.text[:300]}")
        seq += 1
        batches += 1
        posted += n
        build_time += t1 - t0
        post_time += t2 - t1
    return seq, posted / post_time, post_time / posted * 1e6, build_time / posted * 1e6


def run_single(seconds: float) -> None:
    seconds = min(seconds, 25.0 / len(SIZES))  # this part stays under 30 s
    identity = NodeIdentity(Ed25519PrivateKey.generate())
    with tempfile.TemporaryDirectory(prefix="sender-bench-") as tmp:
        proc = start_metrics(Path(tmp), identity.public_key)
        url = proc.url
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                print(
                    f"{'viewers/batch':>14} {'updates/s':>12} {'µs/viewer':>10} {'client µs':>10}"
                )
                seq, results = 1, []
                for n in SIZES:
                    seq, rate, cost, build = run_size(client, identity, n, seconds, seq)
                    results.append((n, rate, cost))
                    print(f"{n:>14,} {rate:>12,.0f} {cost:>10.1f} {build:>10.2f}")
                active = sum(
                    client.get(f"/api/v1/endpoints/ep{i}/viewers").json()["now"] for i in range(10)
                )
        finally:
            proc.stop()
    worst = min(rate for _, rate, _ in results)
    flat = max(c for _, _, c in results[1:]) / min(c for _, _, c in results[1:])
    print(f"active viewers at the end: {active:,}")
    print(
        f"slowest size: {worst:,.0f} updates/s (goal ≥ {GOAL_UPDATES_PER_SECOND:,}); "
        f"per-viewer cost spread 1k..10k: x{flat:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=("single", "replicas", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=6.0, help="time per batch size")
    parser.add_argument("--replica-seconds", type=float, default=8.0, help="replica load time")
    parser.add_argument("--batch", type=int, default=5_000, help="viewers per replica batch")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders (nodes)")
    parser.add_argument("--idle", type=float, default=15.0, help="viewer idle timeout, s")
    args = parser.parse_args()
    if args.part in ("single", "both"):
        print("== one metrics process (SQLite, viewers in the process)")
        run_single(args.seconds)
    if args.part in ("replicas", "both"):
        print("\n== two metrics replicas sharing redis-server")
        run_replicas(
            seconds=min(args.replica_seconds, 20.0),
            batch=args.batch,
            senders=args.senders,
            idle=args.idle,
        )


if __name__ == "__main__":
    main()
