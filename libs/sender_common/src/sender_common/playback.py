"""`GET /api/v1/playback/{endpoint}`: the shape players read and the one route that serves it,
the same on origin and edge (each role supplies how it finds an endpoint's state)."""

from __future__ import annotations

__all__ = [
    "HlsTiming",
    "LiveStatus",
    "Playback",
    "PlaybackFinder",
    "playback_of",
    "playback_router",
]

from collections.abc import Awaitable, Callable
from typing import Protocol

from fastapi import APIRouter
from pydantic import BaseModel

from sender_common.models import EndpointSlug, SessionState
from sender_common.settings import HlsConfig


class HlsTiming(BaseModel):
    segment_seconds: float
    window_segments: int
    low_latency: bool = True
    part_seconds: float | None = None  # the LL-HLS part target (None when low latency is off)
    container: str = "fmp4"


class Playback(BaseModel):
    endpoint: str
    state: str
    generation: int | None
    live_url: str
    renditions: list[str]
    hls: HlsTiming
    dvr_url: str | None = None  # the DVR window's playlist (None when DVR is off or unknown)
    dvr_window_seconds: float | None = None


class LiveStatus(Protocol):
    """What playback reads of a role's status of an endpoint (origin stream, edge session)."""

    @property
    def state(self) -> SessionState: ...
    @property
    def generation(self) -> int | None: ...
    @property
    def live_url(self) -> str: ...
    @property
    def renditions(self) -> list[str]: ...


# endpoint -> (its status, its DVR window: 0 off, None not known here); NotFoundError if unknown
PlaybackFinder = Callable[[str], Awaitable[tuple[LiveStatus, float | None]]]


def playback_of(
    endpoint: str, status: LiveStatus, *, hls: HlsConfig, dvr_window_seconds: float | None = None
) -> Playback:
    """`dvr_window_seconds`: the endpoint's DVR window; 0 (off) or None (not known here)
    give no `dvr_url`."""
    dvr = dvr_window_seconds if dvr_window_seconds else None
    return Playback(
        endpoint=endpoint,
        state=status.state.value,
        generation=status.generation,
        live_url=status.live_url,
        renditions=status.renditions,
        hls=HlsTiming(
            segment_seconds=hls.segment_seconds,
            window_segments=hls.window_segments,
            low_latency=hls.low_latency,
            part_seconds=hls.part_seconds if hls.low_latency else None,
        ),
        dvr_url=f"/sender/hls/{endpoint}/dvr.m3u8" if dvr else None,
        dvr_window_seconds=dvr,
    )


def playback_router(find: PlaybackFinder, hls: HlsConfig) -> APIRouter:
    """The public playback route over a role's `find`; a bad slug is a 422 before it runs."""
    router = APIRouter(prefix="/playback", tags=["playback"])

    @router.get("/{endpoint}")
    async def playback(endpoint: EndpointSlug) -> Playback:
        status, dvr_window_seconds = await find(endpoint)
        return playback_of(endpoint, status, hls=hls, dvr_window_seconds=dvr_window_seconds)

    return router
