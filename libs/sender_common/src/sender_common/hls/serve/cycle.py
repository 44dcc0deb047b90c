"""One HLS request on a connection, and where a role's HLS app is found."""

from __future__ import annotations

__all__ = ["HlsCycle", "WaitingConnection", "find_hls"]

from dataclasses import dataclass, field
from typing import Any, Protocol

from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.request import HlsRequest


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


class WaitingConnection(Protocol):
    """The connection a cycle is answered on (`answering.Answering`), as the timers see it:
    a waiting cycle whose deadline passed is finished there."""

    def finish_wait(self, cycle: HlsCycle) -> None: ...


class _NoEvent:
    """`message_event` of an HLS cycle: uvicorn sets it on body bytes, which HLS ignores."""

    __slots__ = ()

    def set(self) -> None:
        pass


@dataclass(eq=False, slots=True)
class HlsCycle:
    """One HLS request on a connection, in uvicorn's pipeline like its own cycles."""

    proto: WaitingConnection
    head: bool
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    keep_alive: bool
    response_complete: bool = field(default=False, init=False)
    disconnected: bool = field(default=False, init=False)
    body: bytes = field(default=b"", init=False)
    more_body: bool = field(default=True, init=False)
    message_event: _NoEvent = field(default_factory=_NoEvent, init=False)
    req: HlsRequest | None = field(default=None, init=False)

    def abandon(self) -> None:
        """The connection is gone: a waiting answer is dropped."""
        if not self.response_complete:
            self.disconnected = True
