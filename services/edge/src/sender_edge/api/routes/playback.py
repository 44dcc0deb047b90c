"""/api/v1/playback/{endpoint}: what a player needs to start (public, same shape as origin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from sender_common.models import SLUG_PATTERN
from sender_edge.deps import ManagerDep

router = APIRouter(prefix="/playback", tags=["playback"])


class HlsTiming(BaseModel):
    segment_seconds: float
    window_segments: int


class Playback(BaseModel):
    endpoint: str
    state: str
    generation: int | None
    live_url: str
    renditions: list[str]
    hls: HlsTiming


@router.get("/{endpoint}")
async def playback(
    manager: ManagerDep, endpoint: Annotated[str, Path(pattern=SLUG_PATTERN)]
) -> Playback:
    status = manager.status(endpoint)
    hls = manager.settings.hls
    return Playback(
        endpoint=endpoint,
        state=status.state.value,
        generation=status.generation,
        live_url=status.live_url,
        renditions=status.renditions,
        hls=HlsTiming(segment_seconds=hls.segment_seconds, window_segments=hls.window_segments),
    )
