"""The origin's own Prometheus metrics, on the app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class OriginMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.active_ingests = Gauge(
            "sender_origin_active_ingests", "Publishes currently live", registry=registry
        )
        self.publishes = Counter(
            "sender_origin_publishes_total", "Publishes accepted", registry=registry
        )
        self.publish_refused = Counter(
            "sender_origin_publish_refused_total",
            "Publishes refused",
            ["reason"],
            registry=registry,
        )
        self.ffmpeg_restarts = Counter(
            "sender_origin_ffmpeg_restarts_total",
            "ffmpeg restarts after a crash",
            registry=registry,
        )
        self.generations_cleaned = Counter(
            "sender_origin_generations_cleaned_total",
            "Ended generations whose spool was removed after retention",
            registry=registry,
        )
        self.ingest_bytes = Counter(
            "sender_origin_ingest_bytes_total",
            "Media bytes received from publishers",
            ["endpoint"],
            registry=registry,
        )
        self.reconnects = Counter(
            "sender_origin_reconnects_total",
            "Publishers that came back inside the grace period and continued their generation",
            registry=registry,
        )
        self.spool_free_bytes = Gauge(
            "sender_origin_spool_free_bytes",
            "Bytes free on the spool's filesystem",
            registry=registry,
        )
        self.segments_written = Counter(
            "sender_origin_segments_written_total", "HLS segments written", registry=registry
        )
        self.recordings_bytes = Gauge(
            "sender_origin_recordings_bytes",
            "Bytes of kept generations in the spool (live, DVR and recordings)",
            registry=registry,
        )
