"""`GET /api/v1/playback/{endpoint}`: the shape players read, the same on origin and edge."""

from __future__ import annotations

__all__ = ["HlsTiming", "Playback", "playback_of"]

from pydantic import BaseModel

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


def playback_of(
    endpoint: str,
    *,
    state: str,
    generation: int | None,
    live_url: str,
    renditions: list[str],
    hls: HlsConfig,
    dvr_window_seconds: float | None = None,
) -> Playback:
    """`dvr_window_seconds`: the endpoint's DVR window; 0 (off) or None (not known here)
    give no `dvr_url`."""
    dvr = dvr_window_seconds if dvr_window_seconds else None
    return Playback(
        endpoint=endpoint,
        state=state,
        generation=generation,
        live_url=live_url,
        renditions=renditions,
        hls=HlsTiming(
            segment_seconds=hls.segment_seconds,
            window_segments=hls.window_segments,
            low_latency=hls.low_latency,
            part_seconds=hls.part_seconds if hls.low_latency else None,
        ),
        dvr_url=f"/sender/hls/{endpoint}/dvr.m3u8" if dvr else None,
        dvr_window_seconds=dvr,
    )
