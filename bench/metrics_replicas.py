"""Part 2 of `metrics_ingest.py`: two metrics replicas sharing a real redis-server.

Not run on its own: `.venv/bin/python bench/metrics_ingest.py --part replicas`.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.metrics_node import body_for, start_metrics
from sender_common.node import NodeIdentity
from sender_common.viewers.batch import INGEST_PATH, NODE_HEADER, SIGNATURE_HEADER
from tests.procs import Proc, cpu_seconds
from tests.redis_server import RedisServer
from tests.scrape import scrape, value

GOAL_UPDATES_PER_SECOND = 50_000
ENDPOINTS = 10
CARRY_OVER = 0.2  # share of a batch's viewers already in the sender's previous batch


@dataclass
class Sender:
    """One node posting its own sequence of pre-signed batches to one replica."""

    identity: NodeIdentity
    url: str
    bodies: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    posted: int = 0

    def run(self, batch: int, deadline: float) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            for body, headers in self.bodies:
                if time.monotonic() >= deadline:
                    break
                t0 = time.perf_counter()
                r = client.post(INGEST_PATH, content=body, headers=headers)
                self.latencies.append(time.perf_counter() - t0)
                if r.status_code != 202:
                    raise SystemExit(f"ingest refused: {r.status_code} {r.text[:300]}")
                self.posted += batch


def signed(
    identity: NodeIdentity, seq: int, viewers: list[tuple[str, str]], now: float
) -> tuple[bytes, dict[str, str]]:
    entries = [{"endpoint": ep, "vsid_or_ip_hash": k, "last_seen": now} for ep, k in viewers]
    body = body_for(identity, seq, json.dumps(entries))
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: identity.sign(body),
        NODE_HEADER: identity.node_id,
    }
    return body, headers


def fresh_batches(
    sender: int, identity: NodeIdentity, count: int, batch: int
) -> list[tuple[bytes, dict[str, str]]]:
    """`count` batches of `batch` distinct keys each, a fifth carried over from the last."""
    step = int(batch * (1 - CARRY_OVER))
    now = time.time()
    out = []
    for b in range(count):
        keys = range(b * step, b * step + batch)
        viewers = [(f"ep{k % ENDPOINTS}", f"v:s{sender}-{k:010d}") for k in keys]
        out.append(signed(identity, b + 1, viewers, now))
    return out


def active(url: str, endpoints: list[str]) -> int:
    return sum(httpx.get(f"{url}/api/v1/endpoints/{ep}/viewers").json()["now"] for ep in endpoints)


def exported(urls: list[str], endpoint: str) -> list[float]:
    """Every `sender_viewers_active{endpoint=...}` sample across the replicas."""
    found = [value(scrape(url), "sender_viewers_active", endpoint=endpoint) for url in urls]
    return [v for v in found if v is not None]


def exact_audience(identities: list[NodeIdentity], urls: list[str]) -> tuple[int, float]:
    """3 edges x 1,000 viewers, 20 % seen by two edges, posted alternately to both replicas;
    returns the distinct truth and when the last batch was sent."""
    distinct, shared = 2_500, 500
    seen: list[list[tuple[str, str]]] = [[], [], []]
    for i in range(distinct):
        key = ("audience", f"v:exact-{i:08d}")
        seen[i % 3].append(key)
        if i < shared:
            seen[(i + 1) % 3].append(key)
    sent_at = time.time()
    for n, (identity, viewers) in enumerate(zip(identities, seen, strict=True)):
        for seq, start in enumerate(range(0, len(viewers), 250), 1):
            body, headers = signed(identity, seq, viewers[start : start + 250], time.time())
            r = httpx.post(urls[(n + seq) % 2] + INGEST_PATH, content=body, headers=headers)
            assert r.status_code == 202, r.text
        sent_at = time.time()
    return distinct, sent_at


def run_replicas(*, seconds: float, batch: int, senders: int, idle: float) -> None:
    identities = [NodeIdentity(Ed25519PrivateKey.generate()) for _ in range(senders + 3)]
    keys = ",".join(i.public_key for i in identities)
    with tempfile.TemporaryDirectory(prefix="sender-bench-") as tmp:
        redis = RedisServer(Path(tmp) / "redis").start()
        fields: dict[str, object] = {"metrics_redis_url": redis.url, "viewer_idle_seconds": idle}
        procs = [start_metrics(Path(tmp) / f"m{i}", keys, fields) for i in range(2)]
        urls = [proc.url for proc in procs]
        try:
            report_load(identities[:senders], urls, procs, redis, seconds, batch)
            report_exact(identities[senders:], urls, idle)
        finally:
            for proc in procs:
                proc.stop()
            redis.stop()


def report_load(
    identities: list[NodeIdentity],
    urls: list[str],
    procs: list[Proc],
    redis: RedisServer,
    seconds: float,
    batch: int,
) -> None:
    count = int(seconds * 100_000 / batch / len(identities)) + 2  # more than can be sent
    senders = [
        Sender(ident, urls[n % 2], fresh_batches(n, ident, count, batch))
        for n, ident in enumerate(identities)
    ]
    pids = [p.pid for p in procs]
    cpu0, redis0, t0 = [cpu_seconds(p) for p in pids], redis.cpu_seconds(), time.monotonic()
    client0 = time.process_time()
    threads = [threading.Thread(target=s.run, args=(batch, t0 + seconds)) for s in senders]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.monotonic() - t0
    cpu = [(cpu_seconds(p) - c) / wall for p, c in zip(pids, cpu0, strict=True)]
    redis_cpu = (redis.cpu_seconds() - redis0) / wall
    client_cpu = (time.process_time() - client0) / wall
    per_replica = [sum(s.posted for s in senders if s.url == u) / wall for u in urls]
    latencies = sorted(x for s in senders for x in s.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{len(senders)} senders, {batch:,} fresh viewers per batch, {wall:.1f} s")
    for n, (rate, share) in enumerate(zip(per_replica, cpu, strict=True)):
        print(f"  replica {n}: {rate:>9,.0f} updates/s   CPU {share:.0%} of a core")
    total = sum(per_replica)
    print(f"  total:     {total:>9,.0f} updates/s (goal ≥ {GOAL_UPDATES_PER_SECOND:,})")
    median = statistics.median(latencies)
    print(f"  batch latency p50 {median * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms")
    memory = redis.client().info("memory")["used_memory_human"]
    print(f"  redis-server CPU {redis_cpu:.0%} of a core, memory {memory}")
    print(f"  this load generator: CPU {client_cpu:.0%} of a core")
    step = int(batch * (1 - CARRY_OVER))
    distinct = sum((len(s.latencies) - 1) * step + batch for s in senders if s.latencies)
    counted = active(urls[0], [f"ep{i}" for i in range(ENDPOINTS)])
    print(f"  distinct viewers sent {distinct:,}, counted {counted:,} ({counted - distinct:+,})")


def report_exact(identities: list[NodeIdentity], urls: list[str], idle: float) -> None:
    truth, sent_at = exact_audience(identities, urls)
    counts = [active(u, ["audience"]) for u in urls]
    deadline = time.monotonic() + 5
    while exported(urls, "audience") != [truth] and time.monotonic() < deadline:
        time.sleep(0.1)
    gauge = exported(urls, "audience")
    print(f"3 edges x 1,000 viewers, 20 % on two edges: truth {truth:,}")
    print(f"  now per replica {counts}, exported sender_viewers_active {gauge} (one replica)")
    deadline = time.monotonic() + idle * 3
    while time.monotonic() < deadline:
        if all(active(u, ["audience"]) == 0 for u in urls) and exported(urls, "audience") == [0.0]:
            break
        time.sleep(0.1)
    settle = time.time() - sent_at
    print(
        f"  settled at 0 on every replica and the gauge {settle:.1f} s after the last batch"
        f" (idle timeout {idle:.0f} s)"
    )
