"""/api/v1/playback/{endpoint} on the origin: the shared route over the origin's streams."""

from __future__ import annotations

from fastapi import APIRouter

from sender_common.playback import LiveStatus, playback_router
from sender_origin.streams.manager import StreamManager


def router(manager: StreamManager) -> APIRouter:
    async def find(endpoint: str) -> tuple[LiveStatus, float]:
        return await manager.status(endpoint), manager.playlists.dvr_seconds(endpoint)

    return playback_router(find, manager.settings.hls)
