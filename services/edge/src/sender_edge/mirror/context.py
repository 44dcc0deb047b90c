"""What every mirror worker of an edge shares: the knobs it runs by and the edge's stores."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sender_common.hls.parts import PartStore
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_edge.metrics import EdgeMetrics
from sender_edge.settings import EdgeSettings


@dataclass(frozen=True, slots=True)
class Timing:
    """The knobs a worker runs by."""

    window: int
    segment_seconds: float
    stale_after_targets: float
    retention_seconds: float
    end_after_seconds: float = 10.0  # stale this much longer: the live window ends (ENDLIST)
    low_latency: bool = True  # serve LL-HLS when the upstream does
    part_seconds: float = 0.5

    @classmethod
    def of(cls, settings: EdgeSettings) -> Timing:
        """The knobs of an edge's settings (its HLS settings and its upstream tolerances)."""
        hls = settings.hls
        window, segment, retention = hls.window_segments, hls.segment_seconds, hls.retention_seconds
        stale, grace = settings.stale_after_targets, settings.upstream_grace_seconds
        return cls(window, segment, stale, retention, grace, hls.low_latency, hls.part_seconds)


@dataclass(frozen=True, slots=True)
class MirrorContext:
    """The edge's spool (on disk and cached), its metrics, and the fetch slots all share."""

    cache: SpoolCache
    spool_dir: Path
    timing: Timing
    metrics: EdgeMetrics
    fetch_slots: asyncio.Semaphore
    parts: PartStore = field(default_factory=PartStore)
