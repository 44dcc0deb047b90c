"""/api/v1/playback/{endpoint}: what a player needs to start (public, same shape as origin).

The edge does not know an endpoint's DVR window, so `dvr_url` and `dvr_window_seconds` are null
(players offer no rewind here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sender_common.models import SLUG_PATTERN
from sender_common.playback import Playback, playback_of
from sender_edge.deps import ManagerDep

router = APIRouter(prefix="/playback", tags=["playback"])


@router.get("/{endpoint}")
async def playback(
    manager: ManagerDep, endpoint: Annotated[str, Path(pattern=SLUG_PATTERN)]
) -> Playback:
    status = manager.status(endpoint)
    return playback_of(
        endpoint,
        state=status.state.value,
        generation=status.generation,
        live_url=status.live_url,
        renditions=status.renditions,
        hls=manager.settings.hls,
        dvr_window_seconds=await manager.dvr_seconds(endpoint),
    )
