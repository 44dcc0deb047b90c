"""Sender's exception hierarchy.

SenderError
├── NotFoundError        -> 404
├── ConflictError        -> 409
├── InvalidInputError    -> 422
├── UnauthorizedError    -> 401
├── UpstreamError        -> 502
├── TooManyRequestsError -> 429 with Retry-After
├── UnavailableError     -> 503 with Retry-After (a capacity limit, a database not ready)
└── ConfigurationError   (startup: names the offending variable)
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "InvalidInputError",
    "NotFoundError",
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
