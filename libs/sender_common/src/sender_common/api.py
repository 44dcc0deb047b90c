"""Pieces every role's FastAPI app uses: bearer-token guard, health routes, metrics."""

from __future__ import annotations

__all__ = ["bearer_guard", "health_router", "instrument"]

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from sender_common.auth import bearer_guard


def health_router(ready: Callable[[], Awaitable[dict[str, bool]]]) -> APIRouter:
    """`/healthz` (process alive) and `/readyz` (every check passes)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", response_model=None)
    async def readyz() -> JSONResponse:
        checks = await ready()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    return router


def instrument(app: FastAPI, registry: CollectorRegistry) -> None:
    """HTTP metrics on the app's own registry, exposed at /metrics."""
    Instrumentator(
        registry=registry,
        excluded_handlers=["/metrics", "/healthz", "/readyz"],
        should_group_status_codes=True,
        should_group_untemplated=True,
    ).instrument(app).expose(app, include_in_schema=False, should_gzip=False)
