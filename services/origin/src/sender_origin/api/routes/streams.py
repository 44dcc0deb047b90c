"""/api/v1/streams: start, stop, kick and report an endpoint's media session."""

from __future__ import annotations

from fastapi import APIRouter, Query

from sender_common.models import EndpointSlug
from sender_origin.deps import ManagerDep, ViewerCountsDep
from sender_origin.streams.events import EVENTS_PER_ENDPOINT, StreamEvent
from sender_origin.streams.status import StreamStatus
from sender_origin.viewer_counts import ViewersPublic

router = APIRouter(prefix="/streams", tags=["streams"])


@router.get("")
async def list_streams(manager: ManagerDep) -> list[StreamStatus]:
    return await manager.statuses()


@router.get("/{slug}")
async def stream_status(manager: ManagerDep, slug: EndpointSlug) -> StreamStatus:
    return await manager.status(slug)


@router.get("/{slug}/events")
async def stream_events(
    manager: ManagerDep,
    slug: EndpointSlug,
    limit: int = Query(default=EVENTS_PER_ENDPOINT, ge=1, le=EVENTS_PER_ENDPOINT),
) -> list[StreamEvent]:
    """Recent events of the session, newest first (kept in memory, lost on restart)."""
    await manager.status(slug)  # 404 for an unknown endpoint
    return manager.events.recent(slug, limit)


@router.get("/{slug}/viewers")
async def stream_viewers(
    manager: ManagerDep,
    counts: ViewerCountsDep,
    slug: EndpointSlug,
    since_seconds: float = Query(default=3600.0, gt=0, le=400 * 86400),
) -> ViewersPublic:
    """Viewers now and their history from the metrics role, or this node's own count."""
    await manager.status(slug)
    return await counts.of(slug, since_seconds)


@router.post("/{slug}/start")
async def start_stream(manager: ManagerDep, slug: EndpointSlug) -> StreamStatus:
    """Idempotent: a running session is a success with its current state; before a publisher
    is live the state is `waiting_source`."""
    return await manager.start(slug)


@router.post("/{slug}/stop")
async def stop_stream(manager: ManagerDep, slug: EndpointSlug) -> StreamStatus:
    """Stop the session: the publisher is disconnected and the generation ends."""
    return await manager.stop(slug)


@router.post("/{slug}/kick")
async def kick_publisher(
    manager: ManagerDep, slug: EndpointSlug, block: bool = False
) -> StreamStatus:
    """Disconnect the current publisher (its peer is in the status). With `block=true` its key
    is refused until the next rotate-key; otherwise it may reconnect within the grace period."""
    return await manager.kick(slug, block=block)
