"""A small HTTP server on 127.0.0.1 in a thread of the test, for answers a test scripts."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

S = TypeVar("S", bound=ThreadingHTTPServer)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps its access lines out of the test's output."""

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@contextlib.contextmanager
def serving(server: S) -> Iterator[S]:
    """`server` answering in a thread until the block ends, then shut down and closed."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
