"""The edge's /api/v1 routers: sessions behind the token, playback public."""

from __future__ import annotations

from fastapi import APIRouter

from sender_edge.api.routes import playback, sessions
from sender_edge.mirror.sessions.manager import EdgeManager

GUARDED = (sessions.router,)


def public_routers(manager: EdgeManager) -> list[APIRouter]:
    return [playback.router(manager)]
