"""An edge session's public status, from its running worker or its stored row."""

from __future__ import annotations

from sender_common.models import SessionState
from sender_edge.mirror.follow.follower import Follower
from sender_edge.mirror.follow.worker import MirrorWorker
from sender_edge.mirror.playlists import render
from sender_edge.mirror.sessions import store
from sender_edge.mirror.sessions.models import EdgeSessionStatus
from sender_edge.mirror.upstream.discovery import SINGLE


def session_state(worker: MirrorWorker) -> SessionState:
    """error (a fatal upstream failure), waiting_source, stale or live."""
    if worker.failures.fatal:
        return SessionState.error
    live = [f for f in worker.followers.values() if render.has_content(f)]
    if not live or all(f.playlist.ended for f in live):
        return SessionState.waiting_source
    lag = worker.lag_seconds()
    if lag is None or lag > worker.timing.stale_after_targets * worker.target:
        return SessionState.stale
    return SessionState.live


def _primary(worker: MirrorWorker) -> Follower | None:
    master = worker.master
    if master is not None and master.variants:
        return worker.followers.get(render.rendition_of(master.variants[0].uri) or "")
    return worker.followers.get(SINGLE)


def _media_sequence(worker: MirrorWorker) -> int | None:
    primary = _primary(worker)
    if primary is None or not render.has_content(primary):
        return None
    pl = primary.playlist
    return pl.segments[0].msn if pl.segments else pl.next_msn


def _rendition_names(worker: MirrorWorker) -> list[str]:
    names = [n for n, f in worker.followers.items() if render.has_content(f)]
    return sorted(n for n in names if n != SINGLE) or (["src"] if SINGLE in names else [])


def session_status(worker: MirrorWorker, *, desired: bool) -> EdgeSessionStatus:
    """A running worker's status."""
    opts = worker.options
    return EdgeSessionStatus(
        endpoint=worker.slug,
        state=session_state(worker),
        desired=desired,
        upstream_url=opts.upstream_url,
        verify_tls=opts.verify_tls,
        follow_generations=opts.follow_generations,
        renditions=_rendition_names(worker),
        generation=worker.generation,
        live_url=f"/sender/hls/{worker.slug}/live.m3u8",
        last_error=worker.failures.last_error,
        media_sequence=_media_sequence(worker),
        segments_mirrored=worker.tally.segments,
        bytes_mirrored=worker.tally.bytes,
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
