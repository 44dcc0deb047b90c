"""WebRTC playback over WHEP (RFC 9725): encoded frames to every viewer, never re-encoded.

A node has one `MediaHub` (each endpoint's frames, fanned out) fed by its source (the
origin's ingest tap, an edge's upstream feed), and one `WhepSessions` (a peer connection per
viewer, limits, reaping, viewer counting). `WebrtcNode` wires both into a role: its router
and its lifespan children.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request

from sender_common.children import Child
from sender_common.viewers import Viewers
from sender_common.webrtc.config import WebrtcSettings
from sender_common.webrtc.frames import AUDIO_CLOCK, VIDEO_CLOCK, FeedReader, MediaFrame
from sender_common.webrtc.hub import MediaHub
from sender_common.webrtc.router import FEED_MEDIA_TYPE, whep_router
from sender_common.webrtc.sessions import SessionHooks, WhepSessions

__all__ = [
    "AUDIO_CLOCK",
    "FEED_MEDIA_TYPE",
    "VIDEO_CLOCK",
    "FeedReader",
    "MediaFrame",
    "MediaHub",
    "WebrtcNode",
    "WebrtcSettings",
    "WhepSessions",
]


class WebrtcNode:
    """A role's WHEP playback: hub, sessions, routes, children."""

    def __init__(
        self,
        settings: WebrtcSettings,
        bind_host: str,
        viewers: Viewers,
        knows: Callable[[str], Awaitable[bool]],
        keep_feed: Callable[[str], None] = lambda *_: None,
    ) -> None:
        self.enabled = settings.webrtc_enabled
        logging.getLogger("aioice").setLevel(logging.WARNING)  # a line per candidate check
        self.hub = MediaHub()
        self.viewers = viewers
        self.knows = knows
        hooks = SessionHooks(
            knows=knows, touch=viewers.touch_session, end=viewers.end_session, keep_feed=keep_feed
        )
        self.sessions = WhepSessions(settings, bind_host, self.hub, hooks)

    def client_of(self, request: Request) -> str:
        return self.viewers.attributor.from_scope(request.scope).client_ip

    def router(self) -> APIRouter:
        return whep_router(self.sessions, self.client_of, self.knows)

    def install(self, app: FastAPI) -> None:
        """Add the WHEP routes to a role's app, when WebRTC is enabled."""
        if self.enabled:
            app.include_router(self.router())

    def children(self) -> list[Child]:
        return self.sessions.children() if self.enabled else []
