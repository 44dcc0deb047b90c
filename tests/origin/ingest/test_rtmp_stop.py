"""An origin stopped (SIGTERM) while an RTMP publisher is live stops quietly: the
connection is ended by the stop, and the log holds no traceback."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.procs import (
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
    stream_state,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def test_stop_with_a_live_publisher_logs_no_traceback(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "origin")
    pub: subprocess.Popen[bytes] | None = None
    try:
        key = create_endpoint(origin.url, "quiet")
        pub = publish(rtmp_url(origin, key))
        wait_for(lambda: stream_state(origin.url, "quiet") == "live", 30, "the stream live")
        assert origin.stop() in (0, -signal.SIGTERM)  # on its own, not killed
        log = origin.log()
        assert "quiet: publisher left" in log  # the publish was still on at the stop
        assert "Traceback" not in log
        assert "Exception in callback" not in log  # asyncio's word for an unhandled error
    finally:
        if pub is not None:
            stop_publisher(pub)
        origin.kill()
