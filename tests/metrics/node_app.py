"""A bare node for tests: a real `HlsApp` and `Viewers`, the way origin and edge wire them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.children import run_children
from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.node import NodeIdentity
from sender_common.roles import health_router, instrument
from sender_common.settings import CommonSettings
from sender_common.viewers import Viewers


def create_app() -> FastAPI:
    settings = CommonSettings()
    registry = CollectorRegistry()
    viewers = Viewers(settings, "edge", registry, NodeIdentity.load_or_create(settings.data_dir))
    for endpoint in ("ep", "ep2"):
        folder = settings.spool_dir / endpoint / "1" / "src"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with run_children(viewers.children()):
            yield

    async def ready() -> dict[str, bool]:
        return {"viewers": True}

    app = FastAPI(lifespan=lifespan)
    app.mount("/sender/hls", HlsApp(SpoolCache(settings.spool_dir), observer=viewers.observe))
    app.include_router(viewers.router())
    app.include_router(health_router(ready))
    instrument(app, registry)
    return app
