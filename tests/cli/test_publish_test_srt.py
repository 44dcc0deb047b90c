"""`sender publish-test --srt`: the test pattern reaches a real origin over SRT."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx

from tests.cli.stack import sender_argv
from tests.origin.ingest.srt_caller import free_udp_port
from tests.procs import start_origin
from tests.waiting import wait_for


def test_publish_test_over_srt_creates_the_endpoint_and_goes_live(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o", settings={"srt_port": free_udp_port()})
    cli = subprocess.Popen(
        sender_argv("publish-test", "srtcli", "--srt", "--origin", origin.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: (
                httpx.get(f"{origin.url}/api/v1/streams/srtcli", timeout=5).json()["state"]
                == "live"
            ),
            30,
            "live over SRT",
        )
        wait_for(
            lambda: (
                httpx.get(f"{origin.url}/sender/hls/srtcli/live.m3u8", timeout=5).status_code == 200
            ),
            30,
            "HLS",
        )
        cli.send_signal(signal.SIGINT)
        out, _ = cli.communicate(timeout=20)
        assert cli.returncode == 0
        assert b"created endpoint srtcli" in out
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait(10)
        origin.stop()
    assert "publishing (latency" in origin.log()  # the SRT ingest took it
