"""Management needs a credential off loopback; viewer-facing routes stay open."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sender_common.auth import is_loopback_host, require_credentials
from sender_common.errors import ConfigurationError
from sender_common.settings import CommonSettings
from sender_edge.main import create_app as create_edge
from sender_edge.settings import EdgeSettings
from sender_metrics.main import create_app as create_metrics
from sender_metrics.settings import MetricsSettings
from sender_origin.main import create_app as create_origin
from sender_origin.settings import OriginSettings
from tests import scrape
from tests.procs import free_port, signal_and_wait, start_role
from tests.waiting import wait_for

TOKEN = "s3cret-token-value"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("edge.example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_off_loopback_without_token_refuses(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SENDER_API_TOKEN") as info:
        require_credentials(CommonSettings(data_dir=tmp_path, host="0.0.0.0"), "edge")
    assert "\n" not in info.value.detail  # one line
    require_credentials(CommonSettings(data_dir=tmp_path, host="127.0.0.1"), "edge")
    require_credentials(CommonSettings(data_dir=tmp_path, host="0.0.0.0", api_token="t"), "edge")


def test_insecure_opt_out_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = CommonSettings(data_dir=tmp_path, host="0.0.0.0", insecure_no_token=True)
    with caplog.at_level(logging.WARNING, logger="sender_common.auth"):
        require_credentials(settings, "origin")
    assert "SENDER_INSECURE_NO_TOKEN" in caplog.text


def test_a_role_bound_off_loopback_without_token_exits_with_one_line(tmp_path: Path) -> None:
    # uvicorn itself listens on 127.0.0.1; SENDER_HOST is what the role believes it binds
    proc = start_role("metrics", tmp_path, settings={"host": "0.0.0.0"}, ready=False)
    try:
        wait_for(lambda: proc.popen.poll() is not None, 20, "the role to refuse to start")
        assert proc.popen.returncode != 0
        lines = [line for line in proc.log().splitlines() if "SENDER_API_TOKEN" in line]
        assert len(lines) == 1 and "SENDER_HOST=0.0.0.0" in lines[0]
        assert "Traceback" not in proc.log()
    finally:
        signal_and_wait(proc.popen, signal.SIGTERM, 5, proc.kill)


def _origin(tmp: Path) -> FastAPI:
    return create_origin(OriginSettings(data_dir=tmp, rtmp_port=free_port(), api_token=TOKEN))


def _edge(tmp: Path) -> FastAPI:
    return create_edge(EdgeSettings(data_dir=tmp, api_token=TOKEN, on_demand=False))


def _metrics(tmp: Path) -> FastAPI:
    return create_metrics(MetricsSettings(data_dir=tmp, api_token=TOKEN))


ROLES: dict[str, tuple[Callable[[Path], FastAPI], str, str]] = {
    # role: (factory, a management GET, a viewer-facing GET that must not need the token)
    "origin": (_origin, "/api/v1/endpoints", "/api/v1/playback/nope"),
    "edge": (_edge, "/api/v1/edge/sessions", "/api/v1/playback/nope"),
    "metrics": (_metrics, "/api/v1/endpoints/cam/viewers", "/healthz"),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_wrong_token_is_401_counted_never_logged(
    role: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    factory, management, viewer = ROLES[role]
    with TestClient(factory(tmp_path)) as client:
        missing = client.get(management)
        wrong = client.get(management, headers={"Authorization": "Bearer not-" + TOKEN})
        for r in (missing, wrong):
            assert r.status_code == 401
            assert r.json() == {"detail": "missing or wrong bearer token"}
        ok = client.get(management, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code != 401
        assert client.get(viewer).status_code != 401
        for path in ("/healthz", "/readyz", "/metrics"):
            assert client.get(path).status_code == 200, path
        if role != "metrics":
            assert client.get("/sender/hls/nope/live.m3u8").status_code == 404
            assert client.get("/sender/player/nope").status_code != 401
        metrics = client.get("/metrics").text
        assert scrape.value(metrics, f"sender_{role}_auth_failures_total") == 2.0
    assert TOKEN not in caplog.text
