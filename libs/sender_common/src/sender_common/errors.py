"""Sender's one exception tree: every error Sender raises on purpose derives from SenderError.

An HTTP-facing class carries its status (the JSON body is `{"detail": message}`); the others
never reach a response (a failed publish, a peer breaking a wire protocol, a child process
exiting) and keep the default 500 only as a guard.

SenderError                         errors.py
├── NotFoundError        -> 404
├── ConflictError        -> 409
├── InvalidInputError    -> 422
│   └── UpstreamNotAllowed           sender_edge (an upstream outside the allow-list)
├── BadOfferError        -> 400      webrtc/offer.py (an SDP offer that cannot be answered)
├── UnsupportedMediaError -> 415     webrtc/offer.py (a body that is not application/sdp)
├── UnauthorizedError    -> 401 with WWW-Authenticate
├── UpstreamError        -> 502
│   └── FetchError                   sender_edge: UpstreamTlsError, UpstreamRefused,
│                                    UpstreamNotLive, UnsafeSegmentUri, TooLargeError
├── UnavailableError     -> 503 with Retry-After (a capacity limit, a database not ready)
│   └── TooManyRequestsError -> 429 with Retry-After
├── ConfigurationError   (startup: names the offending variable)
├── ProtocolError        (a peer broke a wire protocol other than HTTP; the message is safe
│   │                     to log and never holds a stream key)
│   ├── ChunkError                   sender_origin.ingest.rtmp (the RTMP chunk stream)
│   ├── AmfError                     sender_origin.ingest.rtmp (AMF0; also a ValueError)
│   ├── BadStreamId                  sender_origin.ingest.srt (also a ValueError)
│   ├── SrtError                     sender_origin.ingest.srt (a libsrt call; also an OSError)
│   └── FeedError                    webrtc/frames.py (also a ValueError)
├── PublishRefused                   sender_origin.ingest (a publish is refused)
├── DeliveryError                    viewers/lanes.py (a message to metrics not delivered)
│   ├── RetryableDelivery            retried with backoff
│   └── RejectedDelivery             dropped
├── ChildExit                        process/supervisor.py (a supervised child exited)
│   ├── _Crashed                     restarted within the budget
│   └── _RanHealthy                  restarted with a fresh budget
├── RejectedMessage                  sender_metrics (a signed message refused, and why)
├── FormatError                      bytes or text not in the format expected (never a
│   │                                stream key in the message)
│   ├── PlaylistError                hls/playlist/syntax.py (also a ValueError)
│   │   └── MasterSeenError          sender_edge (a master playlist where a media one was due)
│   ├── Fmp4Error                    cmaf/fmp4.py (also a ValueError)
│   ├── BlockingRequestError -> 400  hls/serve/request.py (a blocking reload's query; also a
│   │                                ValueError)
│   └── _HeadTooLarge        -> 431  hls/serve/protocol.py (a request head over the limit)
├── PolicyRefusal                    sender_edge (an address the upstream policy refuses; also
│                                    an httpcore.ConnectError, so httpx reports a connect error)
└── SenderCliError                   sender_cli (one line on stderr and an exit code)
    ├── ServiceUnreachable, ApiError
    ├── PortBusyError                `sender up`: the message names the flag to change
    └── RoleStartError               `sender up`: a role exited or never became ready
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "FormatError",
    "InvalidInputError",
    "NotFoundError",
    "ProtocolError",
    "SenderError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnavailableError",
    "UpstreamError",
    "install_error_handlers",
]

from typing import TYPE_CHECKING

from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from fastapi import FastAPI, Request


class SenderError(Exception):
    """Base class of every error Sender raises on purpose."""

    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        """The response headers this error comes with (every place that answers with it)."""
        return {}


class NotFoundError(SenderError):
    status_code = 404


class ConflictError(SenderError):
    status_code = 409


class FormatError(SenderError):
    """Bytes or text that are not in the format expected (a playlist, an fMP4 box...)."""


class InvalidInputError(SenderError):
    status_code = 422


class UnauthorizedError(SenderError):
    status_code = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class UpstreamError(SenderError):
    status_code = 502


class UnavailableError(SenderError):
    """Try again later (`retry_after` seconds): e.g. a capacity limit is reached."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyRequestsError(UnavailableError):
    """This client asks too often (`retry_after` seconds until it may again)."""

    status_code = 429


class ConfigurationError(SenderError):
    """A setting is wrong; the message names the environment variable."""


class ProtocolError(SenderError):
    """A peer broke a wire protocol other than HTTP (RTMP, AMF0, SRT, a media feed)."""


def install_error_handlers(
    app: FastAPI, dependencies: Mapping[type[Exception], str] | None = None
) -> None:
    """Map SenderError subclasses to JSON `{"detail": ...}` responses, and the exceptions of
    a dependency that is down (the database's, and those named in `dependencies` with what
    is down) to the one 503 of UnavailableError."""

    async def _handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SenderError)
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers() or None
        )

    def _down(what: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            detail = f"{what} unavailable: {type(exc).__name__}"
            return await _handle(request, UnavailableError(detail, retry_after=2))

        return handler

    app.add_exception_handler(SenderError, _handle)
    down: dict[type[Exception], str] = {OperationalError: "database", **(dependencies or {})}
    for exc_type, what in down.items():
        app.add_exception_handler(exc_type, _down(what))
