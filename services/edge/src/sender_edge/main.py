"""The edge app: `uvicorn --factory sender_edge.main:create_app`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from sender_common.roles import Role
from sender_edge.lifespan import EdgeRuntime
from sender_edge.mirror.upstream.policy import Resolver
from sender_edge.settings import EdgeSettings

EDGE = Role(
    EdgeSettings,
    EdgeRuntime,
    description="Mirrors upstream HLS into a local spool and serves the same URL space.",
)


def create_app(
    settings: EdgeSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
) -> FastAPI:
    """`transport` and `resolver` reach the upstream client (tests inject them)."""
    return EDGE.create_app(settings, transport=transport, resolver=resolver)


def mount_edge(host: FastAPI, settings: EdgeSettings | None = None) -> EdgeRuntime:
    """Run the edge inside an existing FastAPI app: its routes are added to `host` and its
    children run in `host`'s lifespan."""
    return EDGE.mount(host, settings)
