"""The metrics role's Prometheus metrics: low cardinality (endpoint and role labels at most)."""

from __future__ import annotations

__all__ = ["ServiceMetrics"]

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from sender_common.viewers.labels import LabelCap
from sender_metrics.streams import StreamBook

ACTIVE = "sender_viewers_active"
ACTIVE_HELP = "Viewers active now, deduplicated across nodes"
LIVE = "sender_stream_live"
LIVE_HELP = (
    "1 while the endpoint's media session is live (as its origin reports); summed under other"
)
GENERATION = "sender_stream_generation"
GENERATION_HELP = "The endpoint's current or last generation (the highest under other)"


def _always() -> bool:
    return True


class _ActiveCollector(Collector):
    def __init__(
        self, counts: Callable[[], dict[str, int]], cap: LabelCap, exporting: Callable[[], bool]
    ) -> None:
        self.counts = counts
        self.cap = cap
        self.exporting = exporting

    def describe(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(ACTIVE, ACTIVE_HELP, labels=["endpoint"])

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(ACTIVE, ACTIVE_HELP, labels=["endpoint"])
        counts = self.counts() if self.exporting() else None
        for label, n in sorted(self.cap.zero_filled(counts).items()) if counts is not None else ():
            family.add_metric([label], n)
        yield family


class _StreamCollector(Collector):
    """Stream state gauges, from the origins' control messages."""

    def __init__(
        self,
        live: Callable[[], dict[str, int]],
        generations: Callable[[], dict[str, int]],
        cap: LabelCap,
        exporting: Callable[[], bool],
    ) -> None:
        self.live = live
        self.generations = generations
        self.cap = cap
        self.exporting = exporting

    def describe(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(LIVE, LIVE_HELP, labels=["endpoint"])
        yield GaugeMetricFamily(GENERATION, GENERATION_HELP, labels=["endpoint"])

    def collect(self) -> Iterable[GaugeMetricFamily]:
        live = GaugeMetricFamily(LIVE, LIVE_HELP, labels=["endpoint"])
        if not self.exporting():
            yield live
            yield GaugeMetricFamily(GENERATION, GENERATION_HELP, labels=["endpoint"])
            return
        for label, n in sorted(self.cap.totals(self.live()).items()):
            live.add_metric([label], n)
        yield live
        highest: dict[str, int] = {}
        for endpoint, number in self.generations().items():
            label = self.cap(endpoint)
            highest[label] = max(number, highest.get(label, 0))
        family = GaugeMetricFamily(GENERATION, GENERATION_HELP, labels=["endpoint"])
        for label, number in sorted(highest.items()):
            family.add_metric([label], number)
        yield family


class ServiceMetrics:
    def __init__(
        self,
        registry: CollectorRegistry,
        counts: Callable[[], dict[str, int]],
        cap: LabelCap,
        streams: StreamBook | None = None,
        *,
        exporting: Callable[[], bool] = _always,
    ) -> None:
        """`exporting` False: the shared gauges are declared without samples (another
        replica exports them); counters are this process's own and always exported."""
        self.cap = cap
        registry.register(_ActiveCollector(counts, cap, exporting))
        if streams is not None:
            registry.register(_StreamCollector(streams.live, streams.generations, cap, exporting))
        self.sessions_started = Counter(
            "sender_viewer_sessions_started_total",
            "Viewer sessions started (first sighting of a viewer, across nodes)",
            ["endpoint"],
            registry=registry,
        )
        self.heartbeats = Counter(
            "sender_heartbeats_total", "Player heartbeats", ["endpoint"], registry=registry
        )
        self.hls_requests = Counter(
            "sender_hls_requests_total",
            "HLS requests from viewers",
            ["endpoint", "role"],
            registry=registry,
        )
        self.hls_bytes = Counter(
            "sender_hls_bytes_total",
            "HLS bytes sent to viewers",
            ["endpoint", "role"],
            registry=registry,
        )
        self.batches = Counter(
            "sender_metrics_batches_total", "Viewer batches accepted", registry=registry
        )
        self.rejected = Counter(
            "sender_metrics_batches_rejected_total",
            "Viewer batches refused",
            ["reason"],
            registry=registry,
        )
        self.control = Counter(
            "sender_metrics_control_total",
            "Control messages accepted",
            ["resource"],
            registry=registry,
        )
        self.control_rejected = Counter(
            "sender_metrics_control_rejected_total",
            "Control messages refused",
            ["reason"],
            registry=registry,
        )
        self.snapshots = Counter(
            "sender_metrics_snapshots_total", "Snapshot rows written", registry=registry
        )
