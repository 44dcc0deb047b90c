"""A live endpoint on an origin, mirrored by an edge: the set-up of the edge benches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import procs
from tests.edge.helpers import start_edge, start_live_endpoint


@contextmanager
def live_origin_and_edge(work: Path, slug: str) -> Iterator[tuple[procs.Proc, procs.Proc]]:
    """(origin, edge): a test pattern published into `slug` on the origin, and an edge
    (counting loopback viewers) with the origin as its upstream; all stopped on exit."""
    origin = procs.start_origin(work / "origin", settings={"srt_port": 0})  # any free port
    edge = start_edge(work / "edge", origin.url, settings={"count_localhost": True})
    pub = start_live_endpoint(origin, slug)
    try:
        yield origin, edge
    finally:
        procs.stop_publisher(pub)
        edge.stop()
        origin.stop()
