"""The origin app: `uvicorn --factory sender_origin.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sender_common.auth import require_credentials_or_exit
from sender_common.compose import mount_role
from sender_common.logs import setup_logging
from sender_common.roles import build_app
from sender_origin.lifespan import OriginRuntime
from sender_origin.settings import OriginSettings

ROLE = "origin"


def create_app(settings: OriginSettings | None = None) -> FastAPI:
    settings = settings or OriginSettings()
    setup_logging(settings.log_level)
    require_credentials_or_exit(settings, "origin")
    registry = CollectorRegistry()
    runtime = OriginRuntime(settings, registry)
    return build_app(
        runtime,
        registry,
        title="Sender origin",
        description="RTMP ingest, HLS packaging and serving, stream management.",
        hls=runtime.hls,
    )


def mount_origin(host: FastAPI, settings: OriginSettings | None = None) -> OriginRuntime:
    """Run the origin inside an existing FastAPI app: its routes (`/api/v1/...`,
    `/sender/hls`, `/sender/player`) are added and its children run in `host`'s lifespan."""
    runtime = OriginRuntime(settings or OriginSettings(), CollectorRegistry())
    mount_role(host, runtime)
    return runtime
