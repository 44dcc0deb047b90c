"""The origin's /api/v1 router."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends

from sender_common.auth import bearer_guard
from sender_origin.api.routes import endpoints, playback, recordings, streams


def api_router(api_token: str | None, on_failure: Callable[[], None] | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    guard = [Depends(bearer_guard(api_token, on_failure))]
    router.include_router(endpoints.router, dependencies=guard)
    router.include_router(recordings.router, dependencies=guard)
    router.include_router(streams.router, dependencies=guard)
    router.include_router(playback.router)
    return router
