"""Scenario 2: simulated viewers across both edges, counted once each in VictoriaMetrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.harness import Cluster
from e2e.media import PollingViewer, ViewerCrowd
from tests.waiting import wait_for

SLUG = "crowd"
VSID_ADDRESS = "127.0.0.9"  # vsids must be 8-64 of [A-Za-z0-9_-], else ignored
PLAIN_ADDRESSES = ("127.0.0.7", "127.0.0.8")


@pytest.fixture(scope="module")
def live(cluster: Cluster) -> Iterator[Cluster]:
    assert cluster.metrics is not None, "the metrics role did not start"
    if cluster.vm is None:
        pytest.skip("victoria-metrics is not installed (scripts/install-system-deps)")
    for edge in cluster.edges:
        assert edge.exposes("sender_edge_active_viewers"), "the edge's viewer gauge is missing"
    cluster.live_on_every_edge(SLUG, cluster.create_endpoint(SLUG))
    yield cluster


def crowd(cluster: Cluster) -> tuple[list[PollingViewer], dict[str, int]]:
    """Viewers and the truth: distinct vsids plus distinct plain addresses, per node and total."""
    e0, e1 = (e.url for e in cluster.edges)
    placement = {"v0": [e0], "v1": [e0], "v2": [e1], "v3": [e0, e1], "v4": [e0, e1]}
    viewers = [
        PollingViewer(SLUG, edges, VSID_ADDRESS, vsid=f"e2e-viewer-{vsid}")
        for vsid, edges in placement.items()
    ]
    viewers += [
        PollingViewer(SLUG, [e0], PLAIN_ADDRESSES[0]),
        PollingViewer(SLUG, [e0, e1], PLAIN_ADDRESSES[1]),
    ]
    truth = {
        "total": len(placement) + len(PLAIN_ADDRESSES),
        cluster.edges[0].node_id: sum(e0 in v.edges for v in viewers),
        cluster.edges[1].node_id: sum(e1 in v.edges for v in viewers),
    }
    return viewers, truth


def test_viewers_counted_once_across_edges(live: Cluster) -> None:
    vm, metrics, origin = live.vm, live.metrics, live.origin
    assert vm is not None and metrics is not None and origin is not None
    viewers, truth = crowd(live)
    total = f'sum(sender_viewers_active{{endpoint="{SLUG}"}}) or vector(0)'
    with ViewerCrowd(viewers, period=0.5) as running:
        running.wait_rounds(2)
        vm.wait_value(total, truth["total"], 30)
        for edge in live.edges:
            per_node = f'sender_edge_active_viewers{{endpoint="{SLUG}",node_id="{edge.node_id}"}}'
            vm.wait_value(per_node, truth[edge.node_id], 15)
        # the edges' own fetches from the origin are not viewers
        origin_q = f'sum(sender_origin_active_viewers{{endpoint="{SLUG}"}}) or vector(0)'
        assert vm.value(origin_q) == 0
        assert metrics.json(f"/api/v1/endpoints/{SLUG}/viewers")["now"] == truth["total"]
        vm.hold_value(total, truth["total"], 3)
    assert all(not v.errors for v in viewers), [v.errors[:3] for v in viewers if v.errors]

    series = wait_for(
        lambda: [
            p for p in metrics.json(f"/api/v1/endpoints/{SLUG}/viewers")["series"] if p["peak"]
        ],
        15,
        "a snapshot row with viewers",
    )
    assert max(p["peak"] for p in series) == truth["total"], series
    # once they stop reloading, viewers expire after the idle timeout
    vm.wait_value(total, 0, 30)
