"""The edge app: `uvicorn --factory sender_edge.main:create_app`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.auth import require_credentials_or_exit
from sender_common.compose import mount_role
from sender_common.logs import setup_logging
from sender_common.roles import build_app
from sender_edge.lifespan import EdgeRuntime
from sender_edge.mirror.upstreams import Resolver
from sender_edge.settings import EdgeSettings


def create_app(
    settings: EdgeSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
) -> FastAPI:
    settings = settings or EdgeSettings()
    setup_logging(settings.log_level)
    require_credentials_or_exit(settings, "edge")
    registry = CollectorRegistry()
    runtime = EdgeRuntime(settings, registry, transport, resolver)
    return build_app(
        runtime,
        registry,
        title="Sender edge",
        description="Mirrors upstream HLS into a local spool and serves the same URL space.",
        hls=runtime.hls,
    )


def mount_edge(host: FastAPI, settings: EdgeSettings | None = None) -> EdgeRuntime:
    """Run the edge inside an existing FastAPI app: its routes are added to `host` and its
    children run in `host`'s lifespan."""
    runtime = EdgeRuntime(settings or EdgeSettings(), CollectorRegistry())
    mount_role(host, runtime)
    return runtime
