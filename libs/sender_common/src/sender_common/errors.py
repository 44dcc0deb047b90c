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
    from fastapi import FastAPI, Request


class SenderError(Exception):
    """Base class of every error Sender raises on purpose."""

    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(SenderError):
    status_code = 404


class ConflictError(SenderError):
    status_code = 409


class InvalidInputError(SenderError):
    status_code = 422


class UnauthorizedError(SenderError):
    status_code = 401


class UpstreamError(SenderError):
    status_code = 502


class UnavailableError(SenderError):
    """Try again later (`retry_after` seconds): e.g. a capacity limit is reached."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TooManyRequestsError(UnavailableError):
    """This client asks too often (`retry_after` seconds until it may again)."""

    status_code = 429


class ConfigurationError(SenderError):
    """A setting is wrong; the message names the environment variable."""


def install_error_handlers(app: FastAPI) -> None:
    """Map SenderError subclasses to JSON `{"detail": ...}` responses."""

    async def _handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SenderError)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthorizedError) else None
        if isinstance(exc, UnavailableError):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    async def _db_down(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": f"database unavailable: {type(exc).__name__}"},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    app.add_exception_handler(SenderError, _handle)
    app.add_exception_handler(OperationalError, _db_down)
