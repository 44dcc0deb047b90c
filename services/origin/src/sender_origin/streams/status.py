"""The public shape of a media session's status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from sender_common.models import RenditionSpec, SessionMode, SessionState

if TYPE_CHECKING:
    from sender_origin.streams.publish import LivePublish


class PublisherPublic(BaseModel):
    peer: str
    since: datetime
    bytes_in: int


class FfmpegPublic(BaseModel):
    state: str
    pid: int | None
    restarts: int
    last_stderr: list[str]


class StreamStatus(BaseModel):
    endpoint: str
    mode: SessionMode = SessionMode.origin
    state: SessionState
    generation: int | None
    live_url: str
    renditions: list[str]
    publisher: PublisherPublic | None = None
    reconnect_deadline: float | None = None
    ffmpeg: FfmpegPublic | None = None
    keyframe_interval_seconds: float | None = None
    ingest_bitrate_kbps: float | None = None
    warnings: list[str] = []


def status_of(
    slug: str,
    state: SessionState,
    generation: int | None,
    renditions: list[RenditionSpec],
    publish: LivePublish | None,
) -> StreamStatus:
    status = StreamStatus(
        endpoint=slug,
        state=state,
        generation=generation,
        live_url=f"/sender/hls/{slug}/live.m3u8",
        renditions=[r.name for r in renditions],
    )
    if publish is not None:
        status.publisher = PublisherPublic(
            peer=publish.info.peer,
            since=datetime.fromtimestamp(publish.started_at, UTC),
            bytes_in=publish.bytes_in,
        )
        status.keyframe_interval_seconds = publish.keyframes.interval_seconds
        status.ingest_bitrate_kbps = publish.bitrate.kbps()
        status.warnings = publish.keyframes.warnings
        proc = publish.ffmpeg
        status.ffmpeg = FfmpegPublic(
            state=proc.state.value, pid=proc.pid, restarts=proc.restarts, last_stderr=proc.tail(5)
        )
    return status
