"""One HLS request on a connection, and where a role's HLS app is found."""

from __future__ import annotations

__all__ = ["HlsCycle", "find_hls"]

from typing import TYPE_CHECKING, Any

from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.request import HlsRequest

if TYPE_CHECKING:
    from sender_common.hls.serve.answering import Answering


def find_hls(app: Any) -> HlsApp | None:
    """The role's HLS app behind uvicorn's wrappers of the ASGI app (None: it serves none)."""
    for _ in range(16):
        runtime = getattr(getattr(app, "state", None), "runtime", None)
        hls = getattr(runtime, "hls", None)
        if isinstance(hls, HlsApp):
            return hls
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class _NoEvent:
    """`message_event` of an HLS cycle: uvicorn sets it on body bytes, which HLS ignores."""

    __slots__ = ()

    def set(self) -> None:
        pass


class HlsCycle:
    """One HLS request on a connection, in uvicorn's pipeline like its own cycles."""

    __slots__ = (
        "body",
        "disconnected",
        "head",
        "headers",
        "keep_alive",
        "message_event",
        "more_body",
        "path",
        "proto",
        "query",
        "req",
        "response_complete",
    )

    def __init__(
        self,
        proto: Answering,
        head: bool,
        path: str,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
    ) -> None:
        self.proto = proto
        self.head = head
        self.path = path
        self.query = query
        self.headers = headers
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.body = b""
        self.more_body = True
        self.message_event = _NoEvent()
        self.req: HlsRequest | None = None

    def abandon(self) -> None:
        """The connection is gone: a waiting answer is dropped."""
        if not self.response_complete:
            self.disconnected = True
