"""Scenario 3: an edge killed and restarted, and a publisher reconnecting as a new generation;
in both cases the edges carry on by themselves (no API calls after the first start)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pytest

from e2e.harness import Cluster
from e2e.media import decoded_seconds, generation_uris, media_sequence
from tests.waiting import wait_for

SLUG = "phoenix"


@dataclass
class Live:
    cluster: Cluster
    key: str
    publisher: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def stream(cluster: Cluster) -> Iterator[Live]:
    key = cluster.create_endpoint(SLUG)
    for edge in cluster.edges:
        cluster.start_session(edge, SLUG)
    stream = Live(cluster, key, cluster.publish(key))
    for edge in cluster.edges:
        cluster.wait_session(edge, SLUG, "live", 40, generation=1)
    yield stream


def test_edge_sigkill_restart_resumes(stream: Live) -> None:
    live = stream.cluster
    before = live.edges[0]
    seq_before = wait_for(lambda: media_sequence(before.url, SLUG), 10, "a live edge playlist")
    restarted = live.restart_edge(0)
    # no API call: the persisted session comes back by itself
    status = live.wait_session(restarted, SLUG, "live", 20, generation=1)
    assert status["desired"] is True
    wait_for(
        lambda: (media_sequence(restarted.url, SLUG) or -1) > (seq_before or 0) + 1,
        20,
        "the restarted edge to advance past its old window",
    )
    assert decoded_seconds(f"{restarted.url}/sender/hls/{SLUG}/live.m3u8", seconds=3) >= 2.5
    if live.vm is not None:
        live.vm.wait_value(f'up{{node_id="{restarted.node_id}"}}', 1, 15)


def test_publisher_reconnect_is_a_new_generation(stream: Live) -> None:
    live = stream.cluster
    live.stop_publisher(stream.publisher)
    # after the reconnect grace the origin ends generation 1 ...
    wait_for(
        lambda: live.generations(SLUG)[0]["state"] == "ended",
        20,
        "generation 1 ended on the origin",
    )
    for edge in live.edges:
        live.wait_session(edge, SLUG, "waiting_source", 20)
    # ... and the publisher's return opens generation 2, which the edges follow on their own
    live.publish(stream.key)
    gens = wait_for(
        lambda: (g := live.generations(SLUG))[0]["number"] == 2 and g[0]["state"] == "live" and g,
        30,
        "generation 2 live on the origin",
    )
    assert [g["number"] for g in gens] == [2, 1]
    for edge in live.edges:
        live.wait_session(edge, SLUG, "live", 30, generation=2)
        uris = wait_for(
            partial(generation_uris, edge.url, SLUG, 2), 20, "generation 2 segments on the edge"
        )
        assert uris
        assert decoded_seconds(f"{edge.url}/sender/hls/{SLUG}/live.m3u8", seconds=3) >= 2.5
