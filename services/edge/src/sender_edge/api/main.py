"""The edge's /api/v1 router."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends

from sender_common.auth import bearer_guard
from sender_edge.api.routes import playback, sessions


def api_router(api_token: str | None, on_failure: Callable[[], None] | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    router.include_router(
        sessions.router, dependencies=[Depends(bearer_guard(api_token, on_failure))]
    )
    router.include_router(playback.router)
    return router
