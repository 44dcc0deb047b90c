"""The edge's /api/v1 router."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from sender_common.api import bearer_guard
from sender_edge.api.routes import playback, sessions


def api_router(api_token: str | None) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    router.include_router(sessions.router, dependencies=[Depends(bearer_guard(api_token))])
    router.include_router(playback.router)
    return router
