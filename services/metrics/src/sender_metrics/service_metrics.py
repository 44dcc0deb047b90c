"""The metrics role's Prometheus metrics: low cardinality (endpoint and role labels at most)."""

from __future__ import annotations

__all__ = ["ServiceMetrics"]

from collections.abc import Callable

from prometheus_client import CollectorRegistry

from sender_common.prometheus import MetricSet, ScrapedGauge, counter
from sender_common.viewers.labels import LabelCap
from sender_metrics.stream_states import StreamBook

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


def _highest(generations: dict[str, int], cap: LabelCap) -> dict[str, int]:
    """The highest generation by capped label."""
    out: dict[str, int] = {}
    for endpoint, number in generations.items():
        label = cap(endpoint)
        out[label] = max(number, out.get(label, 0))
    return out


class ServiceMetrics(MetricSet):
    sessions_started = counter(
        "sender_viewer_sessions_started_total",
        "Viewer sessions started (first sighting of a viewer, across nodes)",
        "endpoint",
    )
    heartbeats = counter("sender_heartbeats_total", "Player heartbeats", "endpoint")
    hls_requests = counter(
        "sender_hls_requests_total", "HLS requests from viewers", "endpoint", "role"
    )
    hls_bytes = counter("sender_hls_bytes_total", "HLS bytes sent to viewers", "endpoint", "role")
    batches = counter("sender_metrics_batches_total", "Viewer batches accepted")
    rejected = counter("sender_metrics_batches_rejected_total", "Viewer batches refused", "reason")
    control = counter("sender_metrics_control_total", "Control messages accepted", "resource")
    control_rejected = counter(
        "sender_metrics_control_rejected_total", "Control messages refused", "reason"
    )
    snapshots = counter("sender_metrics_snapshots_total", "Snapshot rows written")

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

        def shared(read: Callable[[], dict[str, int]]) -> Callable[[], dict[str, int]]:
            return lambda: read() if exporting() else {}

        registry.register(
            ScrapedGauge(ACTIVE, ACTIVE_HELP, shared(lambda: cap.zero_filled(counts())))
        )
        if streams is not None:
            live, generations = streams.live, streams.generations
            registry.register(ScrapedGauge(LIVE, LIVE_HELP, shared(lambda: cap.totals(live()))))
            highest = shared(lambda: _highest(generations(), cap))
            registry.register(ScrapedGauge(GENERATION, GENERATION_HELP, highest))
        super().__init__(registry)
