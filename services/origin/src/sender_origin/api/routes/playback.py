"""/api/v1/playback/{endpoint}: what a player needs to start (public)."""

from __future__ import annotations

from fastapi import APIRouter

from sender_common.playback import Playback, playback_of
from sender_origin.deps import ManagerDep

router = APIRouter(prefix="/playback", tags=["playback"])


@router.get("/{slug}")
async def playback(manager: ManagerDep, slug: str) -> Playback:
    status = await manager.status(slug)
    return playback_of(
        slug,
        state=status.state.value,
        generation=status.generation,
        live_url=status.live_url,
        renditions=status.renditions,
        hls=manager.settings.hls,
        dvr_window_seconds=manager.dvr_seconds(slug),
    )
