"""What every mirror worker of an edge shares: the knobs it runs by and the edge's stores."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.settings import HlsConfig
from sender_edge.edge_metrics import EdgeMetrics
from sender_edge.settings import EdgeSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing(HlsConfig):
    """The knobs a worker runs by: the edge's HLS settings and its upstream tolerances, read
    from its settings (declared there, never again here)."""

    stale_after_targets: float
    end_after_seconds: float  # stale this much longer: the live window ends (ENDLIST)

    @classmethod
    def of(cls, settings: EdgeSettings) -> Timing:
        return cls(
            **dataclasses.asdict(settings.hls),
            stale_after_targets=settings.stale_after_targets,
            end_after_seconds=settings.upstream_grace_seconds,
        )

    @property
    def window(self) -> int:
        return self.window_segments


@dataclass(frozen=True, slots=True)
class MirrorContext:
    """The edge's spool (on disk and cached), its metrics, and the fetch slots all share."""

    cache: SpoolCache
    spool_dir: Path
    timing: Timing
    metrics: EdgeMetrics
    fetch_slots: asyncio.Semaphore
    parts: PartStore = field(default_factory=PartStore)
