"""The metrics role's /api/v1 router."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends

from sender_common.auth import bearer_guard
from sender_metrics.api.routes import ingest, viewers


def api_router(api_token: str | None, on_failure: Callable[[], None] | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    router.include_router(ingest.router)  # nodes authenticate with their signatures
    router.include_router(
        viewers.router, dependencies=[Depends(bearer_guard(api_token, on_failure))]
    )
    return router
