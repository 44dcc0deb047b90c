"""The edge's own Prometheus metrics, on the app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class EdgeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sessions = Gauge(
            "sender_edge_sessions", "Mirror sessions running on this edge", registry=registry
        )
        self.segments_mirrored = Counter(
            "sender_edge_segments_mirrored_total", "Segments fetched and written", registry=registry
        )
        self.upstream_errors = Counter(
            "sender_edge_upstream_errors_total",
            "Failed upstream reloads, by kind",
            ["kind"],
            registry=registry,
        )
        self.bytes_mirrored = Counter(
            "sender_edge_bytes_mirrored_total", "Segment bytes fetched", registry=registry
        )
        self.parts_mirrored = Counter(
            "sender_edge_parts_mirrored_total", "LL-HLS parts fetched", registry=registry
        )
        self.upstream_requests = Counter(
            "sender_edge_upstream_requests_total",
            "Requests sent upstream, by kind (playlist, part, segment, init)",
            ["kind"],
            registry=registry,
        )
