"""Scenario 5: two metrics replicas sharing a real redis-server behind one round-robin front.

Viewers on both edges are counted once in VictoriaMetrics (one replica exports the gauge),
and killing that replica moves neither the count the other one serves nor the total.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from e2e.front import RoundRobinFront
from e2e.harness import Cluster
from e2e.media import PollingViewer, ViewerCrowd
from e2e.nodes import Node
from e2e.vm import VictoriaMetrics
from tests.redis_server import RedisServer, redis_server_executable
from tests.waiting import wait_for

SLUG = "shared"
VSID_ADDRESS = "127.0.0.9"
PLAIN_ADDRESS = "127.0.0.8"


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    missing = [
        name
        for name, found in (
            ("redis-server", redis_server_executable()),
            ("victoria-metrics", VictoriaMetrics.executable()),
            ("nginx", RoundRobinFront.executable()),
        )
        if found is None
    ]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (scripts/install-system-deps)")
    root = tmp_path_factory.mktemp("replicas")
    server = RedisServer(root / "redis").start()
    c = Cluster(root / "cluster", metrics_redis_url=server.url, metrics_replicas=2)
    try:
        c.start()
        c.live_on_every_edge(SLUG, c.create_endpoint(SLUG))
        yield c
    finally:
        try:
            c.stop()
        finally:
            server.stop()


def now(replica: Node) -> int:
    return int(replica.json(f"/api/v1/endpoints/{SLUG}/viewers")["now"])


def exported(replica: Node) -> float | None:
    return replica.sample("sender_viewers_active", endpoint=SLUG)


def test_counted_once_and_a_killed_replica_changes_nothing(replicated: Cluster) -> None:
    vm, first = replicated.vm, replicated.metrics
    assert vm is not None and first is not None
    replicas = [first, *replicated.more_metrics]
    assert len(replicas) == 2
    e0, e1 = (e.url for e in replicated.edges)
    placement = {"a": [e0], "b": [e1], "c": [e0, e1], "d": [e0, e1]}
    viewers = [
        PollingViewer(SLUG, edges, VSID_ADDRESS, vsid=f"e2e-replica-{name}")
        for name, edges in placement.items()
    ]
    viewers.append(PollingViewer(SLUG, [e0, e1], PLAIN_ADDRESS))
    truth = len(viewers)
    total = f'sum(sender_viewers_active{{endpoint="{SLUG}"}}) or vector(0)'
    with ViewerCrowd(viewers, period=0.5) as running:
        running.wait_rounds(2)
        vm.wait_value(total, truth, 30)
        assert [now(r) for r in replicas] == [truth, truth]
        wait_for(
            lambda: all((r.sample("sender_metrics_batches_total") or 0) > 0 for r in replicas),
            15,
            "batches reaching both replicas through the front",
        )
        exporting = [r for r in replicas if exported(r) is not None]
        assert len(exporting) == 1, "exactly one replica exports the shared gauge"
        vm.hold_value(total, truth, 2)

        victim = exporting[0]
        survivor = next(r for r in replicas if r is not victim)
        victim.proc.kill()  # SIGKILL: no lease hand-back, the survivor waits it out
        end = time.monotonic() + 3
        while time.monotonic() < end:  # the state is in Redis: nothing to rebuild
            assert now(survivor) == truth
            time.sleep(0.2)
        wait_for(lambda: exported(survivor) == truth, 15, "the survivor exporting the gauge")
        vm.wait_value(total, truth, 20)
        vm.hold_value(total, truth, 2)
    assert all(not v.errors for v in viewers), [v.errors[:3] for v in viewers if v.errors]
    vm.wait_value(total, 0, 30)  # gone after the idle timeout, on the survivor alone
    assert now(survivor) == 0
