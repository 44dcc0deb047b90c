"""Stream keys never reach a log, a metric or a response, wherever a publisher puts them.

A real ffmpeg tries every place an RTMP client can carry the key (application, stream name,
query string, tcUrl); each attempt is accepted or refused as it should be, and the origin's
whole log (at DEBUG), /metrics and the API responses hold no 8-character piece of any key.
"""

from __future__ import annotations

import subprocess

import httpx
import pytest

from sender_common.ffmpeg import resolve_ffmpeg
from tests.procs import Proc, create_endpoint
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
ORIGIN_SETTINGS = {"log_level": "DEBUG"}
WRONG_KEY = "sk_NotAKeyButSecretLooking0123456789abcdefXYZ"


def attempt(origin: Proc, url: str, *options: str) -> int:
    """Publish 2 s of test pattern (not realtime); ffmpeg's exit code."""
    argv = [resolve_ffmpeg(), "-hide_banner", "-nostats", "-loglevel", "error"]
    argv += ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-t", "2"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-f", "flv", *options, url]
    code = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    wait_for(lambda: not status(origin)["publisher"], 20, "the publish to end")
    return code.returncode


def status(origin: Proc) -> dict[str, object]:
    return dict(httpx.get(f"{origin.url}/api/v1/streams/masked", timeout=5).json())


def pieces(key: str) -> set[str]:
    return {key[i : i + 8] for i in range(len(key) - 7)}


def test_keys_in_every_url_position_never_leak(origin: Proc) -> None:
    key = create_endpoint(origin.url, "masked")
    base = f"rtmp://127.0.0.1:{origin.extra['rtmp_port']}"
    accepted = {
        "stream name": attempt(origin, f"{base}/live/{key}"),
        "stream name + query": attempt(origin, f"{base}/live/{key}?token={key}"),
        "tcUrl": attempt(origin, f"{base}/live/{key}", "-rtmp_tcurl", f"{base}/live/{key}?k={key}"),
    }
    refused = {
        "application": attempt(origin, f"{base}/{key}/stream"),
        "application live/KEY": attempt(origin, f"{base}/live/{key}/x"),
        "application query": attempt(origin, f"{base}/live?key={key}/x"),
        "rtmp_app": attempt(origin, f"{base}/live/x", "-rtmp_app", f"live/{key}"),
        "tcUrl, wrong name": attempt(origin, f"{base}/live/x", "-rtmp_tcurl", f"{base}/{key}"),
        "wrong key": attempt(origin, f"{base}/live/{WRONG_KEY}"),
        "wrong application": attempt(origin, f"{base}/{WRONG_KEY}/x"),
    }
    assert accepted == dict.fromkeys(accepted, 0)
    assert all(code != 0 for code in refused.values()), refused
    log = origin.log()
    assert log.count("publish refused") >= len(refused)
    assert "accepted" in log
    seen = {
        "log": log,
        "metrics": httpx.get(f"{origin.url}/metrics", timeout=5).text,
        "status": httpx.get(f"{origin.url}/api/v1/streams/masked", timeout=5).text,
        "endpoints": httpx.get(f"{origin.url}/api/v1/endpoints", timeout=5).text,
        "endpoint": httpx.get(f"{origin.url}/api/v1/endpoints/masked", timeout=5).text,
    }
    for where, text in seen.items():
        leaked = {p for p in pieces(key) | pieces(WRONG_KEY) if p in text}
        assert not leaked, f"{where} holds key pieces {sorted(leaked)[:3]}"
