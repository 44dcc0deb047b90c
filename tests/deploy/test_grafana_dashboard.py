"""deploy/grafana/sender.json: an importable Grafana dashboard whose every query names only
metrics that real Sender nodes export. The nodes are a real `sender up --demo` (origin, edge
and metrics processes); each metric name in a panel or variable query must be a family or
sample on one of their `/metrics` pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.stack import SenderUp, start_sender_up
from tests.waiting import wait_for

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sender.json"
# a metric name as Sender and its HTTP instrumentation spell them (labels and functions are
# lowercase words without these prefixes)
METRIC = re.compile(r"\b((?:sender|http)_[a-z0-9_]+)\b")
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
}


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of the panels (rows included) and the query variables."""
    out: list[str] = []

    def panels(items: list[dict[str, Any]]) -> None:
        for panel in items:
            out.extend(t["expr"] for t in panel.get("targets", []))
            panels(panel.get("panels", []))

    panels(dashboard["panels"])
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            q = var["query"]
            out.append(q["query"] if isinstance(q, dict) else q)
    return out


def exported_names(text: str) -> set[str]:
    """Names a query may use: family names with their type's suffixes, and sample names."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + s for s in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def test_dashboard_shape() -> None:
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] == "Sender"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    exprs = queries(dash)
    assert len(exprs) >= 20
    for expr in exprs:
        assert METRIC.search(expr), f"no metric in {expr!r}"
        assert expr.count("(") == expr.count(")"), expr
    wanted = ("viewers", "live", "ingest", "ffmpeg", "lag", "mirror errors", "http error")
    titles = " ".join(p["title"].lower() for p in dash["panels"])
    assert all(w in titles for w in wanted), titles


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SenderUp]:
    up = start_sender_up(tmp_path_factory.mktemp("grafana"))
    try:
        yield up
    finally:
        up.interrupt()


def test_every_dashboard_metric_is_exported(nodes: SenderUp) -> None:
    # a mirror on the edge, so its lag gauge has a sample too
    httpx.get(f"{nodes.edge}/sender/hls/demo/live.m3u8", timeout=10)
    wait_for(
        lambda: (
            'sender_edge_mirror_lag_seconds{endpoint="demo"}'
            in httpx.get(f"{nodes.edge}/metrics", timeout=5).text
        ),
        20,
        "the edge's mirror lag sample",
    )
    wait_for(
        lambda: (
            'sender_origin_ingest_bytes_total{endpoint="demo"}'
            in httpx.get(f"{nodes.origin}/metrics", timeout=5).text
        ),
        20,
        "the demo stream's ingest bytes",
    )
    exported: set[str] = set()
    for base in (nodes.origin, nodes.edge, nodes.metrics):
        exported |= exported_names(httpx.get(f"{base}/metrics", timeout=5).text)
    used = {m for expr in queries(json.loads(DASHBOARD.read_text())) for m in METRIC.findall(expr)}
    missing = sorted(used - exported)
    assert not missing, f"dashboard metrics no node exports: {missing}"
    assert len(used) >= 20
