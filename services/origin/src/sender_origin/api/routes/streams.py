"""/api/v1/streams: start, stop, kick and report an endpoint's media session."""

from __future__ import annotations

from fastapi import APIRouter

from sender_origin.deps import ManagerDep
from sender_origin.streams.status import StreamStatus

router = APIRouter(prefix="/streams", tags=["streams"])


@router.get("")
async def list_streams(manager: ManagerDep) -> list[StreamStatus]:
    return await manager.statuses()


@router.get("/{slug}")
async def stream_status(manager: ManagerDep, slug: str) -> StreamStatus:
    return await manager.status(slug)


@router.post("/{slug}/start")
async def start_stream(manager: ManagerDep, slug: str) -> StreamStatus:
    """Idempotent: a running session is a success with its current state; before a publisher
    is live the state is `waiting_source`."""
    return await manager.start(slug)


@router.post("/{slug}/stop")
async def stop_stream(manager: ManagerDep, slug: str) -> StreamStatus:
    """Stop the session: the publisher is disconnected and the generation ends."""
    return await manager.stop(slug)


@router.post("/{slug}/kick")
async def kick_publisher(manager: ManagerDep, slug: str, block: bool = False) -> StreamStatus:
    """Disconnect the current publisher (its peer is in the status). With `block=true` its key
    is refused until the next rotate-key; otherwise it may reconnect within the grace period."""
    return await manager.kick(slug, block=block)
