"""Mount a role into a host ASGI application.

A role's runtime object offers `install(app)` (routes, mounted apps) and `running(app)` (an
async context that runs its children). `mount_role` puts both into an existing FastAPI app:
the routes are added and the role's children run inside the host's own lifespan.
"""

from __future__ import annotations

__all__ = ["RoleRuntime", "mount_role"]

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI


class RoleRuntime(Protocol):
    def install(self, app: FastAPI) -> None: ...

    def running(self, app: FastAPI) -> AbstractAsyncContextManager[None]: ...


def mount_role(host: FastAPI, runtime: RoleRuntime) -> None:
    """Add the role's routes to `host` and run its children within `host`'s lifespan."""
    runtime.install(host)
    inner = host.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with runtime.running(app), inner(app) as state:
            yield state

    host.router.lifespan_context = lifespan
