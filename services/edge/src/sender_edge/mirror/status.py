"""An edge session's public status, from its running worker or its stored row."""

from __future__ import annotations

from sender_common.models import SessionState
from sender_edge.mirror import store
from sender_edge.mirror.models import EdgeSessionStatus
from sender_edge.mirror.worker import MirrorWorker


def session_status(worker: MirrorWorker, *, desired: bool) -> EdgeSessionStatus:
    """A running worker's status."""
    opts = worker.options
    return EdgeSessionStatus(
        endpoint=worker.slug,
        state=worker.state(),
        desired=desired,
        upstream_url=opts.upstream_url,
        verify_tls=opts.verify_tls,
        follow_generations=opts.follow_generations,
        renditions=worker.rendition_names,
        generation=worker.generation,
        live_url=f"/sender/hls/{worker.slug}/live.m3u8",
        last_error=worker.last_error,
        media_sequence=worker.media_sequence,
        segments_mirrored=worker.segments_mirrored,
        bytes_mirrored=worker.bytes_mirrored,
        last_fetch_at=worker.last_fetch_at,
        lag_seconds=worker.lag_seconds(),
    )


def stored_status(slug: str, row: store.StoredSession | None) -> EdgeSessionStatus:
    """A session without a worker: what its row says (stopped when there is none)."""
    opts = dict(row.options) if row is not None else {}
    desired = row.desired if row is not None else False
    return EdgeSessionStatus(
        endpoint=slug,
        state=SessionState.waiting_source if desired else SessionState.stopped,
        desired=desired,
        upstream_url=str(opts.get("upstream_url", "")),
        verify_tls=bool(opts.get("verify_tls", True)),
        follow_generations=bool(opts.get("follow_generations", True)),
        renditions=[],
        generation=None,
        live_url=f"/sender/hls/{slug}/live.m3u8",
        last_error=None,
        media_sequence=None,
        segments_mirrored=0,
        bytes_mirrored=0,
        last_fetch_at=None,
        lag_seconds=None,
    )
