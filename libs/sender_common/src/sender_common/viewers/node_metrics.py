"""A node's own viewer metrics (`sender_<role>_...`), on the app's registry."""

from __future__ import annotations

__all__ = ["NodeViewerMetrics"]

from collections.abc import Callable

from prometheus_client import CollectorRegistry

from sender_common.prometheus import MetricSet, ScrapedGauge, counter, gauge
from sender_common.viewers.labels import LabelCap
from sender_common.viewers.traffic import HlsTraffic


class NodeViewerMetrics(MetricSet):
    """Counters labelled by (capped) endpoint; no per-viewer labels. The HLS requests and
    bytes are `traffic` (`viewers/traffic.py`), counted without a lock per request."""

    sessions_started = counter(
        "sender_{role}_viewer_sessions_started_total", "Viewer sessions started", "endpoint"
    )
    heartbeats = counter("sender_{role}_heartbeats_total", "Player heartbeats accepted", "endpoint")
    events = counter("sender_{role}_player_events_total", "Player events accepted", "type")
    events_limited = counter(
        "sender_{role}_player_events_limited_total", "Player events refused (rate)"
    )
    bulk_dropped = counter(
        "sender_{role}_bulk_dropped_total",
        "Bulk-lane messages dropped (queue full, oldest first, or refused)",
    )
    bulk_pending = gauge("sender_{role}_bulk_pending", "Bulk-lane messages waiting for delivery")
    batches_sent = counter("sender_{role}_viewer_batches_sent_total", "Viewer batches delivered")

    def __init__(
        self,
        registry: CollectorRegistry,
        role: str,
        counts: Callable[[], dict[str, int]],
        cap: LabelCap,
    ) -> None:
        self.cap = cap
        self.traffic = HlsTraffic(role, cap)  # `sender_{role}_hls_requests_total`, `_bytes_`
        registry.register(self.traffic)
        active = f"sender_{role}_active_viewers"
        registry.register(
            ScrapedGauge(active, "Viewer sessions active now", lambda: cap.zero_filled(counts()))
        )
        super().__init__(registry, role=role)
