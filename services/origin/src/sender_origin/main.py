"""The origin app: `uvicorn --factory sender_origin.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from sender_common.roles import Role
from sender_origin.lifespan import OriginRuntime
from sender_origin.settings import OriginSettings

ORIGIN = Role(
    OriginSettings,
    OriginRuntime,
    description="RTMP ingest, HLS packaging and serving, stream management.",
)


def create_app(settings: OriginSettings | None = None) -> FastAPI:
    return ORIGIN.create_app(settings)


def mount_origin(host: FastAPI, settings: OriginSettings | None = None) -> OriginRuntime:
    """Run the origin inside an existing FastAPI app: its routes (`/api/v1/...`,
    `/sender/hls`, `/sender/player`) are added and its children run in `host`'s lifespan."""
    return ORIGIN.mount(host, settings)
