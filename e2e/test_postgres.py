"""Scenario 4: two origins sharing one real PostgreSQL; an edge and metrics on it too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest

from e2e.harness import Cluster
from e2e.media import generation_uris
from e2e.nodes import Node
from e2e.pg import Postgres
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def shared(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    urls = {
        "origin": postgres.create_database("sender"),
        "edge": postgres.create_database("sender_edge"),
        "metrics": postgres.create_database("sender_metrics"),
    }
    c = Cluster(tmp_path_factory.mktemp("pg-cluster"), edges_count=1, database_urls=urls)
    try:
        c.start()
        c.add_origin("origin-b")
        yield c
    finally:
        c.stop()


def origins(c: Cluster) -> tuple[Node, Node]:
    assert c.origin is not None
    return c.origin, c.more_origins[0][0]


def post_endpoint(node: Node, slug: str) -> httpx.Response:
    return httpx.post(f"{node.url}/api/v1/endpoints", json={"slug": slug}, timeout=15)


def slugs(node: Node) -> list[str]:
    data: dict[str, Any] = node.json("/api/v1/endpoints?limit=1000")
    return [e["slug"] for e in data["data"]]


def test_roles_ready_on_postgres(shared: Cluster) -> None:
    for node in shared.nodes():
        assert node.get("/readyz").status_code == 200, node.role
        if shared.vm is not None:  # the second origin joined the scrape config later
            shared.vm.wait_value(f'up{{node_id="{node.node_id}"}}', 1, 15)


def test_concurrent_creates_through_both_origins(shared: Cluster) -> None:
    a, b = origins(shared)
    jobs = [(a if i % 2 else b, f"many-{i}") for i in range(12)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda job: post_endpoint(*job).status_code, jobs))
    assert codes == [201] * len(jobs)
    for node in (a, b):
        listed = slugs(node)
        assert len(listed) == len(set(listed))
        assert {s for _, s in jobs} <= set(listed)


def test_same_slug_raced_one_wins(shared: Cluster) -> None:
    a, b = origins(shared)
    for i in range(5):
        slug = f"race-{i}"
        gate = threading.Barrier(2)

        def create(node: Node, slug: str = slug, gate: threading.Barrier = gate) -> int:
            gate.wait(5)
            return post_endpoint(node, slug).status_code

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(create, (a, b)))
        assert codes == [201, 409], (slug, codes)
        assert slugs(a).count(slug) == slugs(b).count(slug) == 1


def test_generations_unique_across_origins(shared: Cluster) -> None:
    a, b = origins(shared)
    rtmp_b = shared.more_origins[0][1]
    key = shared.create_endpoint("relay", a)

    def newest(node: Node, number: int, state: str) -> bool:
        gens = shared.generations("relay", node)
        return bool(gens) and gens[0]["number"] == number and gens[0]["state"] == state

    # generation 1 through origin A, 2 through origin B, 3 through A again
    for n, (ingest, port) in enumerate(
        ((a, shared.rtmp_port), (b, rtmp_b), (a, shared.rtmp_port)), 1
    ):
        other = b if ingest is a else a
        pub = shared.publish(key, port)
        wait_for(partial(newest, other, n, "live"), 40, f"generation {n} live")
        wait_for(
            partial(generation_uris, ingest.url, "relay", n),
            30,
            f"generation {n} served by the origin that took the publish",
        )
        if n == 1:
            edge = shared.edges[0]
            shared.start_session(edge, "relay")
            shared.wait_session(edge, "relay", "live", 30, generation=1)
        shared.stop_publisher(pub)
        wait_for(partial(newest, other, n, "ended"), 20, f"generation {n} ended")
    for node in (a, b):
        numbers = [g["number"] for g in shared.generations("relay", node)]
        assert numbers == [3, 2, 1], (node.node_id, numbers)
