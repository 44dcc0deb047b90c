"""The edge's own Prometheus metrics, on the app's registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LAG_NAME = "sender_edge_mirror_lag_seconds"
LAG_HELP = "Seconds since a mirror session last made progress (a new segment or part)"


class _LagCollector(Collector):
    """`sender_edge_mirror_lag_seconds{endpoint}`, read from the mirror workers at scrape time
    (endpoints are the edge's sessions, bounded by SENDER_EDGE_MAX_SESSIONS)."""

    def __init__(self, lags: Callable[[], Mapping[str, float]]) -> None:
        self.lags = lags

    def describe(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(LAG_NAME, LAG_HELP, labels=["endpoint"])

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(LAG_NAME, LAG_HELP, labels=["endpoint"])
        for endpoint, lag in sorted(self.lags().items()):
            family.add_metric([endpoint], lag)
        yield family


class EdgeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
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
            "Requests sent upstream,"
            " by kind (playlist, part, segment, init, dvr_playlist, dvr_file)",
            ["kind"],
            registry=registry,
        )

    def watch_lag(self, lags: Callable[[], Mapping[str, float]]) -> None:
        """Export each mirror session's lag, as `lags()` reports it at scrape time."""
        self.registry.register(_LagCollector(lags))
