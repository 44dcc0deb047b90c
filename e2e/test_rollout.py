"""Scenario 1: origin and edges up before any ingest, then a publish reaches every edge."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import httpx
import pytest

from e2e.harness import Cluster
from e2e.media import decoded_seconds, live_uris
from e2e.nodes import Node, source_ips
from e2e.topology import EDGE_HOSTS
from tests.waiting import wait_for

SLUG = "rollout"


def has_segments(base_url: str, count: int) -> bool:
    return len(live_uris(base_url, SLUG)) >= count


def mirrored(cluster: Cluster, edge: Node, count: int) -> bool:
    """The edge has mirrored `count` segments of the stream so far."""
    return int(cluster.session(edge, SLUG)["segments_mirrored"]) >= count


@pytest.fixture(scope="module")
def live(cluster: Cluster) -> Iterator[Cluster]:
    """`rollout` created, both edges waiting for it, then published and live on both."""
    key = cluster.create_endpoint(SLUG)
    for edge in cluster.edges:
        status = cluster.start_session(edge, SLUG)
        assert status["state"] == "waiting_source", status
        assert status["generation"] is None
    for edge in cluster.edges:  # still waiting: nothing has been published
        assert cluster.session(edge, SLUG)["state"] == "waiting_source"
    cluster.publish(key)
    for edge in cluster.edges:
        cluster.wait_session(edge, SLUG, "live", 40, generation=1)
        wait_for(partial(has_segments, edge.url, 3), 30, "3 segments on the edge")
    yield cluster


def test_each_edge_plays_the_stream(live: Cluster) -> None:
    for edge in live.edges:
        seconds = decoded_seconds(f"{edge.url}/sender/hls/{SLUG}/live.m3u8", seconds=6)
        assert seconds >= 5.0, f"only {seconds}s decoded from edge {edge.node_id}"
        assert all(uri.startswith("1/") for uri in live_uris(edge.url, SLUG))


def test_nodes_report_their_ids(live: Cluster) -> None:
    ids = [n.node_id for n in live.nodes()]
    assert len(set(ids)) == len(ids)
    for node in live.nodes():
        assert live.node(node.node_id) is node
        assert node.json("/readyz") is not None


def test_edge_fetches_are_not_viewers(live: Cluster) -> None:
    origin = live.origin
    assert origin is not None
    assert origin.exposes("sender_origin_active_viewers"), "the origin's viewer gauge is missing"
    # both edges keep mirroring; nobody else watches (ffmpeg above played from 127.0.0.1)
    for edge in live.edges:
        before = live.session(edge, SLUG)["segments_mirrored"]
        wait_for(partial(mirrored, live, edge, before + 2), 20, "the edges to keep mirroring")
    assert (origin.sample("sender_origin_active_viewers", endpoint=SLUG) or 0) == 0
    assert live.vm is not None and live.metrics is not None, "no metrics role or VictoriaMetrics"
    query = f'sum(sender_viewers_active{{endpoint="{SLUG}"}}) or vector(0)'
    live.vm.hold_value(query, 0, 4)


def test_origin_trusts_only_the_edges(live: Cluster) -> None:
    """A fetch from an edge's address is relayed traffic; behind it, X-Forwarded-For counts."""
    origin = live.origin
    assert origin is not None
    assert origin.exposes("sender_origin_active_viewers"), "the origin's viewer gauge is missing"
    url = f"{origin.url}/sender/hls/{SLUG}/live.m3u8"
    transport = httpx.HTTPTransport(local_address=EDGE_HOSTS[0])
    with httpx.Client(transport=transport, timeout=5) as client:
        assert client.get(url).status_code == 200
        assert (origin.sample("sender_origin_active_viewers", endpoint=SLUG) or 0) == 0
        r = client.get(url, headers={"x-forwarded-for": "198.51.100.7"})
        assert r.status_code == 200
    wait_for(
        lambda: origin.sample("sender_origin_active_viewers", endpoint=SLUG) == 1,
        10,
        "the forwarded client counted once",
    )


def test_edges_fetch_from_their_own_address(live: Cluster) -> None:
    """Across machines the origin sees each edge's address; here the edges bind their upstream
    client (SENDER_UPSTREAM_BIND), so the origin's trusted-proxy rule is what keeps their
    fetches from being counted."""
    origin = live.origin
    assert origin is not None
    sources = wait_for(
        lambda: source_ips(origin.host, origin.port), 10, "edge connections to the origin"
    )
    assert set(EDGE_HOSTS) <= sources, sources  # (127.0.0.1 is this test's own client)
