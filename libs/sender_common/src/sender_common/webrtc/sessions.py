"""WHEP sessions (RFC 9725): one aiortc peer connection per viewer, sending the hub's frames.

aiortc and PyAV are loaded with the first offer (`peer.py`), not when the role starts.

`create` takes an offer and answers it with every candidate gathered (no trickle needed);
`patch` adds the viewer's late candidates; `delete` ends a session. Limits: at most
`SENDER_WEBRTC_MAX_SESSIONS` on the node (503) and `SENDER_WEBRTC_MAX_PER_CLIENT` per client
address (429). The reaper ends sessions that never connected, whose ICE failed (consent
freshness, RFC 7675, notices a viewer that vanished) or that were closed, and keeps the
connected ones alive as viewers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sender_common.children import Child, Periodic
from sender_common.errors import NotFoundError, TooManyRequestsError, UnavailableError
from sender_common.webrtc.config import WebrtcSettings, parse_port_range
from sender_common.webrtc.hub import MediaHub
from sender_common.webrtc.offer import check_offer
from sender_common.webrtc.ports import PortPool

if TYPE_CHECKING:
    from aiortc import RTCPeerConnection

    from sender_common.webrtc.tracks import EncodedTrack

__all__ = ["SessionHooks", "WhepSession", "WhepSessions"]

log = logging.getLogger(__name__)
REAP_SECONDS = 1.0
DONE_STATES = ("failed", "closed")


@dataclass(slots=True)
class SessionHooks:
    """What a role plugs in: whether an endpoint can be played (starting its feed, e.g. on
    an edge), and the viewer tracker's open/keep/end of one session."""

    knows: Callable[[str], Awaitable[bool]]
    touch: Callable[[str, str, str], None] = field(default=lambda *_: None)
    end: Callable[[str, str], None] = field(default=lambda *_: None)
    keep_feed: Callable[[str], None] = field(default=lambda *_: None)


@dataclass(slots=True)
class WhepSession:
    id: str
    endpoint: str
    client: str
    pc: RTCPeerConnection
    tracks: list[EncodedTrack]
    created: float = field(default_factory=time.monotonic)
    connected: bool = False

    @property
    def key(self) -> str:
        return f"w:{self.id}"


class WhepSessions:
    """This node's WHEP sessions."""

    def __init__(
        self, settings: WebrtcSettings, bind_host: str, hub: MediaHub, hooks: SessionHooks
    ) -> None:
        self.settings = settings
        self.hosts = settings.ice_hosts(bind_host)
        self.pool = PortPool(parse_port_range(settings.webrtc_udp_ports))
        self.hub = hub
        self.hooks = hooks
        self.sessions: dict[str, WhepSession] = {}
        self._per_client: Counter[str] = Counter()
        self._pending = 0  # offers being answered (they count against the limits)
        self.reaper = Periodic("webrtc-reaper", REAP_SECONDS, self.reap)
        self.started = 0
        self.reaped = 0

    def children(self) -> list[Child]:
        return [Child("webrtc", self.reaper.start, self._stop)]

    def count(self, endpoint: str | None = None) -> int:
        if endpoint is None:
            return len(self.sessions)
        return sum(1 for s in self.sessions.values() if s.endpoint == endpoint)

    def _admit(self, client: str) -> None:
        if len(self.sessions) + self._pending >= self.settings.webrtc_max_sessions:
            raise UnavailableError("too many WebRTC sessions on this node", retry_after=5)
        if self._per_client[client] >= self.settings.webrtc_max_per_client:
            raise TooManyRequestsError("too many WebRTC sessions from this client", 10)

    async def create(self, endpoint: str, offer: str, client: str) -> tuple[WhepSession, str]:
        """A new session for `endpoint` and its SDP answer."""
        parsed = check_offer(offer)
        self._admit(client)
        self._pending += 1
        self._per_client[client] += 1
        pc: RTCPeerConnection | None = None
        try:
            if not await self.hooks.knows(endpoint):
                raise NotFoundError(f"no stream {endpoint!r} on this node")
            from sender_common.webrtc import peer  # aiortc, loaded with the first session

            pc = peer.connection()
            kinds = {m.kind for m in parsed.media}
            tracks = peer.add_tracks(pc, self.hub, endpoint, kinds)
            answer = await peer.answer(pc, offer, self.hosts, self.pool)
            session = WhepSession(secrets.token_hex(16), endpoint, client, pc, tracks)
        except BaseException:
            self._per_client[client] -= 1
            if pc is not None:
                await pc.close()
            raise
        finally:
            self._pending -= 1
        self.sessions[session.id] = session
        self.started += 1
        pc.on("connectionstatechange", lambda: self._state_changed(session))
        log.info("webrtc: session %s for %s opened", session.id[:8], endpoint)
        return session, answer

    def get(self, endpoint: str, session_id: str) -> WhepSession:
        session = self.sessions.get(session_id)
        if session is None or session.endpoint != endpoint:
            raise NotFoundError("no such WebRTC session")
        return session

    async def patch(self, endpoint: str, session_id: str, fragment: str) -> None:
        """Trickle ICE (RFC 8840): the viewer's candidates in an SDP fragment."""
        session = self.get(endpoint, session_id)
        from sender_common.webrtc import peer

        await peer.add_candidates(session.pc, fragment)

    async def delete(self, endpoint: str, session_id: str) -> None:
        await self._close(self.get(endpoint, session_id), "ended by the viewer")

    def _state_changed(self, session: WhepSession) -> None:
        if session.pc.connectionState == "connected" and not session.connected:
            session.connected = True
            self.hooks.touch(session.endpoint, session.key, session.client)

    async def reap(self) -> None:
        """End dead sessions; keep the connected ones counted (and their feeds wanted)."""
        now = time.monotonic()
        for session in list(self.sessions.values()):
            state = session.pc.connectionState
            if state in DONE_STATES:
                await self._close(session, f"connection {state}")
            elif not session.connected and now - session.created > self._connect_timeout:
                await self._close(session, "never connected")
            else:
                self.hooks.keep_feed(session.endpoint)
                if session.connected:
                    self.hooks.touch(session.endpoint, session.key, session.client)

    @property
    def _connect_timeout(self) -> float:
        return self.settings.webrtc_connect_timeout

    async def _close(self, session: WhepSession, why: str) -> None:
        if self.sessions.pop(session.id, None) is None:
            return
        self._per_client[session.client] -= 1
        if self._per_client[session.client] <= 0:
            del self._per_client[session.client]
        self.hooks.end(session.endpoint, session.key)
        self.reaped += why != "ended by the viewer"
        for track in session.tracks:
            track.stop()
        with contextlib.suppress(Exception):  # a peer connection closes whatever its state
            await session.pc.close()
        log.info("webrtc: session %s for %s closed: %s", session.id[:8], session.endpoint, why)

    async def _stop(self) -> None:
        await self.reaper.stop()
        sessions = list(self.sessions.values())
        await asyncio.gather(*(self._close(s, "node stopping") for s in sessions))
