"""The origin's /api/v1 routers: management behind the token, playback public."""

from __future__ import annotations

from fastapi import APIRouter

from sender_origin.api.routes import endpoints, playback, recordings, streams
from sender_origin.streams.manager import StreamManager

GUARDED = (endpoints.router, recordings.router, streams.router)


def public_routers(manager: StreamManager) -> list[APIRouter]:
    return [playback.router(manager)]
