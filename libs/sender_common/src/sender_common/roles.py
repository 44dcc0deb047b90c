"""What every role's runtime object shares: its children, its manifest, running them."""

from __future__ import annotations

__all__ = ["RoleRuntimeBase", "build_app", "hls_manifest"]

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.api import health_router, instrument
from sender_common.children import Child, run_children
from sender_common.hls.serving import HlsApp, HlsFastPath
from sender_common.node import VERSION
from sender_common.settings import HlsConfig


def hls_manifest(hls: HlsConfig) -> dict[str, float | int]:
    return {
        "segment_seconds": hls.segment_seconds,
        "window_segments": hls.window_segments,
        "retention_seconds": hls.retention_seconds,
    }


class RoleRuntimeBase:
    """A role declares `children()` once; `running()` runs exactly that list."""

    started: list[str]

    def children(self) -> list[Child]:
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """Role-specific manifest entries (capabilities, routes, timing)."""
        return {}

    def manifest(self) -> dict[str, object]:
        return {
            **self.describe(),
            "children": [c.name for c in self.children()],
            "running_children": list(getattr(self, "started", [])),
        }

    @asynccontextmanager
    async def running(self, app: Any) -> AsyncIterator[None]:
        del app
        async with run_children(self.children()) as names:
            self.started = names
            yield
        self.started = []


class _AppRuntime(Protocol):
    def install(self, app: FastAPI) -> None: ...

    def running(self, app: Any) -> AbstractAsyncContextManager[None]: ...

    async def readiness(self) -> dict[str, bool]: ...


def build_app(
    runtime: _AppRuntime,
    registry: CollectorRegistry,
    *,
    title: str,
    description: str,
    hls: HlsApp | None = None,
) -> FastAPI:
    """A role's standalone app: health, the role's routes, HTTP metrics, the HLS fast path."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running(app):
            yield

    app = FastAPI(title=title, version=VERSION, lifespan=lifespan, description=description)
    app.state.runtime = runtime
    app.include_router(health_router(runtime.readiness))
    runtime.install(app)
    instrument(app, registry)
    if hls is not None:
        app.add_middleware(HlsFastPath, hls=hls)  # added last: outermost
    return app
