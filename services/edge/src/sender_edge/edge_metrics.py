"""The edge's own Prometheus metrics, on the app's registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sender_common.prometheus import MetricSet, ScrapedGauge, counter, gauge

LAG_NAME = "sender_edge_mirror_lag_seconds"
LAG_HELP = "Seconds since a mirror session last made progress (a new segment or part)"


class EdgeMetrics(MetricSet):
    sessions = gauge("sender_edge_sessions", "Mirror sessions running on this edge")
    segments_mirrored = counter(
        "sender_edge_segments_mirrored_total", "Segments fetched and written"
    )
    upstream_errors = counter(
        "sender_edge_upstream_errors_total", "Failed upstream reloads, by kind", "kind"
    )
    bytes_mirrored = counter("sender_edge_bytes_mirrored_total", "Segment bytes fetched")
    parts_mirrored = counter("sender_edge_parts_mirrored_total", "LL-HLS parts fetched")
    upstream_requests = counter(
        "sender_edge_upstream_requests_total",
        "Requests sent upstream, by kind (playlist, part, segment, init, dvr_playlist, dvr_file)",
        "kind",
    )

    def watch_lag(self, lags: Callable[[], Mapping[str, float]]) -> None:
        """Export each mirror session's lag, as `lags()` reports it at scrape time
        (endpoints are the edge's sessions, bounded by SENDER_EDGE_MAX_SESSIONS)."""
        self.registry.register(ScrapedGauge(LAG_NAME, LAG_HELP, lags))
