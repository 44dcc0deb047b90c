"""The WHEP routes (RFC 9725) and the feed between nodes.

POST   /sender/whep/{endpoint}                 SDP offer -> 201, SDP answer, Location
PATCH  /sender/whep/{endpoint}/sessions/{id}   trickle ICE fragment (RFC 8840) -> 204
DELETE /sender/whep/{endpoint}/sessions/{id}   end the session -> 200
GET    /sender/whep/{endpoint}/feed            the endpoint's frames (an edge's one
                                               upstream connection per stream)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from sender_common.errors import NotFoundError
from sender_common.models import SLUG_PATTERN
from sender_common.webrtc.frames import pack_frame
from sender_common.webrtc.hub import MediaHub
from sender_common.webrtc.offer import UnsupportedMediaError
from sender_common.webrtc.sessions import WhepSessions

__all__ = ["FEED_MEDIA_TYPE", "whep_router"]

FEED_MEDIA_TYPE = "application/x-sender-feed"
FEED_FLUSH_FRAMES = 8  # frames written to the socket at once when several are waiting
ClientOf = Callable[[Request], str]
SlugPath = Path(pattern=SLUG_PATTERN, max_length=64)


def whep_router(
    sessions: WhepSessions,
    client_of: ClientOf,
    knows: Callable[[str], Awaitable[bool]],
) -> APIRouter:
    """The routes of one node's WHEP sessions; `client_of` names the client (proxies
    believed as for viewer counting)."""
    router = APIRouter(prefix="/sender/whep", tags=["webrtc"])

    @router.post("/{endpoint}", status_code=201, response_class=Response)
    async def offer(request: Request, endpoint: str = SlugPath) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/sdp":
            raise UnsupportedMediaError("send the offer as application/sdp")
        body = (await request.body()).decode("utf-8", "replace")
        session, answer = await sessions.create(endpoint, body, client_of(request))
        location = f"/sender/whep/{endpoint}/sessions/{session.id}"
        headers = {"Location": location, "Cache-Control": "no-store"}
        return Response(answer, 201, headers=headers, media_type="application/sdp")

    @router.patch("/{endpoint}/sessions/{session_id}", status_code=204)
    async def trickle(request: Request, session_id: str, endpoint: str = SlugPath) -> Response:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/trickle-ice-sdpfrag":
            raise UnsupportedMediaError("send candidates as application/trickle-ice-sdpfrag")
        fragment = (await request.body()).decode("utf-8", "replace")
        await sessions.patch(endpoint, session_id, fragment)
        return Response(status_code=204)

    @router.delete("/{endpoint}/sessions/{session_id}")
    async def end(session_id: str, endpoint: str = SlugPath) -> dict[str, str]:
        await sessions.delete(endpoint, session_id)
        return {"status": "ended"}

    # node to node, and endless: kept out of the OpenAPI schema (documented in docs/API.md)
    @router.get("/{endpoint}/feed", response_class=StreamingResponse, include_in_schema=False)
    async def feed(endpoint: str = SlugPath) -> StreamingResponse:
        if not await knows(endpoint):
            raise NotFoundError(f"no stream {endpoint!r} on this node")
        return StreamingResponse(
            _frames(sessions.hub, endpoint),
            media_type=FEED_MEDIA_TYPE,
            headers={"Cache-Control": "no-store"},
        )

    return router


async def _frames(hub: MediaHub, endpoint: str) -> AsyncIterator[bytes]:
    with hub.subscribe(endpoint, frozenset(["video", "audio"])) as sub:
        while True:
            out = [pack_frame(await sub.get())]
            while len(out) < FEED_FLUSH_FRAMES and not sub.queue.empty():
                out.append(pack_frame(sub.queue.get_nowait()))
            yield b"".join(out)
            await asyncio.sleep(0)
