"""Logging setup for a role process (once, idempotent) and for the CLI."""

from __future__ import annotations

import logging

# httpx logs every request at INFO ("HTTP Request: GET ... 200 OK"), httpcore each connection
# step at DEBUG: an edge polling its upstream would fill a log with them.
HTTP_CLIENT_LOGGERS = ("httpx", "httpcore")


def quiet_http_clients(level: int | str) -> None:
    """The HTTP client libraries' per-request lines only when `level` is DEBUG or lower;
    above it, only their warnings and errors."""
    number = level if isinstance(level, int) else logging.getLevelNamesMapping()[level.upper()]
    quiet = logging.NOTSET if number <= logging.DEBUG else logging.WARNING
    for name in HTTP_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_sender", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._sender = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    quiet_http_clients(level)
