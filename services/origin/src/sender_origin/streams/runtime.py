"""What the origin knows of one endpoint at run time, and the rules read from it."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sender_common.ffmpeg.command import SOURCE
from sender_common.models import Endpoint, RenditionSpec, SessionState
from sender_common.process import ProcessState
from sender_common.settings import HlsConfig
from sender_origin.streams.publish import LivePublish

# on_state(slug, generation, state, generation_open): an endpoint's outside view changed
StateHook = Callable[[str, int | None, SessionState, bool], None]
STATE_RESEND_SECONDS = 30.0


@dataclass(slots=True)
class EndpointRuntime:
    """What this process knows about one endpoint right now."""

    slug: str
    endpoint_id: int
    renditions: list[RenditionSpec]
    desired: bool = False
    publish: LivePublish | None = None
    generation: int | None = None
    generation_live: bool = False
    grace: asyncio.Task[None] | None = None
    grace_until: float | None = None
    slate: bool = False
    slate_next: float = 0.0
    slate_count: int = 0
    reported: tuple[SessionState, int | None, bool] | None = None
    reported_at: float = 0.0
    dvr_seconds: float = 0.0
    record: bool = False

    @property
    def in_grace(self) -> bool:
        return self.grace is not None and not self.grace.done()

    def cancel_grace(self) -> bool:
        """End the reconnect grace period now; False when none was held."""
        if self.grace is None:
            return False
        self.grace.cancel()
        self.grace, self.grace_until = None, None
        return True


def renditions_of(endpoint: Endpoint) -> list[RenditionSpec]:
    specs = [RenditionSpec.model_validate(r) for r in endpoint.renditions or []]
    return specs or [SOURCE]


def refusal(endpoint: Endpoint, live: bool, desired: bool) -> str | None:
    if endpoint.key_blocked:
        return "blocked"
    if live:
        return "already_live"
    return None if desired else "stopped"


def apply_endpoint(rt: EndpointRuntime, endpoint: Endpoint, default_dvr_seconds: int) -> None:
    """Take the endpoint's settings (slate, DVR window, recording)."""
    rt.slate = endpoint.offline_slate
    dvr = endpoint.dvr_window_seconds
    rt.dvr_seconds = float(default_dvr_seconds if dvr is None else dvr)
    rt.record = endpoint.record


def keep_segments(rt: EndpointRuntime, hls: HlsConfig) -> int | None:
    """Segments a publish keeps on disk: the live window, the DVR window, or all."""
    if rt.record:
        return None
    return max(2 * hls.window_segments, math.ceil(rt.dvr_seconds / hls.segment_seconds)) + 2


def session_state(rt: EndpointRuntime) -> SessionState:
    if rt.publish is not None:
        if rt.publish.ffmpeg.state == ProcessState.failed:
            return SessionState.error
        return SessionState.live
    return SessionState.waiting_source if rt.desired else SessionState.stopped


def report(on_state: StateHook | None, rt: EndpointRuntime, state: SessionState | None) -> None:
    """Call `on_state` when the endpoint's state, generation or its openness changed, and
    again every `STATE_RESEND_SECONDS` (a restarted metrics role learns it back)."""
    if on_state is None:
        return
    state = state or session_state(rt)
    now = (state, rt.generation, rt.generation_live)
    stale = time.monotonic() - rt.reported_at > STATE_RESEND_SECONDS
    if now != rt.reported or stale:
        rt.reported, rt.reported_at = now, time.monotonic()
        on_state(rt.slug, rt.generation, state, rt.generation_live)
