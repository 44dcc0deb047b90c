"""/api/v1/playback/{endpoint} on the edge: the shared route (same shape as the origin's) over
the edge's sessions. The edge learns an endpoint's DVR window from its upstream's `dvr.m3u8`;
without a session it is null (players offer no rewind)."""

from __future__ import annotations

from fastapi import APIRouter

from sender_common.playback import LiveStatus, playback_router
from sender_edge.mirror.sessions.manager import EdgeManager


def router(manager: EdgeManager) -> APIRouter:
    async def find(endpoint: str) -> tuple[LiveStatus, float | None]:
        return manager.status(endpoint), await manager.dvr_seconds(endpoint)

    return playback_router(find, manager.settings.hls)
