"""/api/v1/edge/sessions: start, list, report and stop mirror sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sender_common.models import SLUG_PATTERN
from sender_edge.deps import ManagerDep
from sender_edge.mirror.sessions.models import (
    EdgeSessionCreate,
    EdgeSessionsPublic,
    EdgeSessionStatus,
)

router = APIRouter(prefix="/edge/sessions", tags=["edge sessions"])
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=63)]


@router.post("")
async def start_session(manager: ManagerDep, data: EdgeSessionCreate) -> EdgeSessionStatus:
    """Idempotent: a running session is a success with its current state; before the
    upstream is live the state is `waiting_source`."""
    return await manager.start_session(data)


@router.get("")
async def list_sessions(manager: ManagerDep) -> EdgeSessionsPublic:
    rows = manager.statuses()
    return EdgeSessionsPublic(data=rows, count=len(rows))


@router.get("/{endpoint}")
async def get_session(manager: ManagerDep, endpoint: Slug) -> EdgeSessionStatus:
    return manager.status(endpoint)


@router.post("/{endpoint}/stop")
async def stop_session(manager: ManagerDep, endpoint: Slug) -> EdgeSessionStatus:
    """Stop mirroring; the session stays stopped across restarts until started again."""
    return await manager.stop_session(endpoint)


@router.delete("/{endpoint}")
async def delete_session(manager: ManagerDep, endpoint: Slug) -> EdgeSessionStatus:
    """Same as stop (the row is kept so a reboot does not bring it back)."""
    return await manager.stop_session(endpoint)
