"""A node's own viewer metrics (`sender_<role>_...`), on the app's registry."""

from __future__ import annotations

__all__ = ["NodeViewerMetrics"]

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from sender_common.viewers.labels import LabelCap


class _ActiveCollector(Collector):
    """`sender_<role>_active_viewers{endpoint}` read from the tracker at scrape time."""

    def __init__(self, name: str, counts: Callable[[], dict[str, int]], cap: LabelCap) -> None:
        self.name = name
        self.counts = counts
        self.cap = cap

    def describe(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.name, "Viewer sessions active now", labels=["endpoint"])

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, "Viewer sessions active now", labels=["endpoint"])
        for label, n in sorted(self.cap.zero_filled(self.counts()).items()):
            family.add_metric([label], n)
        yield family


class NodeViewerMetrics:
    """Counters labelled by (capped) endpoint; no per-viewer labels."""

    def __init__(
        self,
        registry: CollectorRegistry,
        role: str,
        counts: Callable[[], dict[str, int]],
        cap: LabelCap,
    ) -> None:
        p = f"sender_{role}"
        self.cap = cap
        registry.register(_ActiveCollector(f"{p}_active_viewers", counts, cap))
        self.sessions_started = Counter(
            f"{p}_viewer_sessions_started_total",
            "Viewer sessions started",
            ["endpoint"],
            registry=registry,
        )
        self.heartbeats = Counter(
            f"{p}_heartbeats_total", "Player heartbeats accepted", ["endpoint"], registry=registry
        )
        self.events = Counter(
            f"{p}_player_events_total", "Player events accepted", ["type"], registry=registry
        )
        self.events_limited = Counter(
            f"{p}_player_events_limited_total", "Player events refused (rate)", registry=registry
        )
        self.hls_requests = Counter(
            f"{p}_hls_requests_total",
            "HLS requests from viewers",
            ["endpoint", "kind"],
            registry=registry,
        )
        self.hls_bytes = Counter(
            f"{p}_hls_bytes_total", "HLS bytes sent to viewers", ["endpoint"], registry=registry
        )
        self.bulk_dropped = Counter(
            f"{p}_bulk_dropped_total",
            "Bulk-lane messages dropped (queue full, oldest first, or refused)",
            registry=registry,
        )
        self.bulk_pending = Gauge(
            f"{p}_bulk_pending", "Bulk-lane messages waiting for delivery", registry=registry
        )
        self.batches_sent = Counter(
            f"{p}_viewer_batches_sent_total", "Viewer batches delivered", registry=registry
        )
