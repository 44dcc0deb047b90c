"""A role's log at the default level carries no per-request lines of its HTTP client; at
DEBUG it does. A real edge polls a real upstream on 127.0.0.1 that counts its requests."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.edge.helpers import start_edge, start_session
from tests.http_stub import QuietHandler, serving
from tests.waiting import wait_for


class _Upstream(ThreadingHTTPServer):
    requests = 0


class _NotYet(QuietHandler):
    server: _Upstream

    def do_GET(self) -> None:
        self.server.requests += 1
        self.send_response(404)
        self.send_header("content-length", "0")
        self.end_headers()


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    with serving(_Upstream(("127.0.0.1", 0), _NotYet)) as server:
        yield server


@pytest.mark.parametrize("level", [None, "DEBUG"])
def test_http_request_lines_only_at_debug(
    tmp_path: Path, upstream: _Upstream, level: str | None
) -> None:
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    edge = start_edge(tmp_path / "edge", url, settings={"log_level": level} if level else None)
    try:
        start_session(edge, "cam")
        # a few polls answered (each one's log line written before the next poll is sent)
        wait_for(lambda: upstream.requests >= 3, 30, "the edge polling its upstream")
        if level == "DEBUG":
            wait_for(lambda: "HTTP Request: GET" in edge.log(), 10, "request lines at DEBUG")
        else:
            assert "HTTP Request:" not in edge.log()
    finally:
        edge.stop()
