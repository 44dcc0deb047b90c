"""/api/v1/playback/{endpoint}: what a player needs to start (public)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from sender_origin.deps import ManagerDep

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


@router.get("/{slug}")
async def playback(manager: ManagerDep, slug: str) -> Playback:
    status = await manager.status(slug)
    hls = manager.settings.hls
    return Playback(
        endpoint=slug,
        state=status.state.value,
        generation=status.generation,
        live_url=status.live_url,
        renditions=status.renditions,
        hls=HlsTiming(segment_seconds=hls.segment_seconds, window_segments=hls.window_segments),
    )
