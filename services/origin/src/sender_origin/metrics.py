"""The origin's own Prometheus metrics, on the app's registry."""

from __future__ import annotations

from sender_common.prometheus import MetricSet, counter, gauge


class OriginMetrics(MetricSet):
    active_ingests = gauge("sender_origin_active_ingests", "Publishes currently live")
    publishes = counter("sender_origin_publishes_total", "Publishes accepted")
    publish_refused = counter("sender_origin_publish_refused_total", "Publishes refused", "reason")
    ffmpeg_restarts = counter(
        "sender_origin_ffmpeg_restarts_total", "ffmpeg restarts after a crash"
    )
    generations_cleaned = counter(
        "sender_origin_generations_cleaned_total",
        "Ended generations whose spool was removed after retention",
    )
    ingest_bytes = counter(
        "sender_origin_ingest_bytes_total", "Media bytes received from publishers", "endpoint"
    )
    reconnects = counter(
        "sender_origin_reconnects_total",
        "Publishers that came back inside the grace period and continued their generation",
    )
    spool_free_bytes = gauge(
        "sender_origin_spool_free_bytes", "Bytes free on the spool's filesystem"
    )
    segments_written = counter("sender_origin_segments_written_total", "HLS segments written")
    recordings_bytes = gauge(
        "sender_origin_recordings_bytes",
        "Bytes of kept generations in the spool (live, DVR and recordings)",
    )
