"""A child role's environment comes from its settings model: names from the model, values
validated by it, and a round trip env -> model -> env -> model changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sender_common.settings import ROLES, CommonSettings, HlsConfig, role_settings
from sender_common.settings_env import (
    check_env_names,
    env_name,
    given,
    role_env,
    settings_env,
    settings_from_env,
)
from sender_edge.settings import EdgeSettings
from sender_origin.settings import OriginSettings
from tests.procs import start_role

EDGE_ENV = {
    "SENDER_DATA_DIR": "/srv/sender/edge",
    "SENDER_HTTP_PORT": "9081",
    "SENDER_TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.7/32",
    "SENDER_UPSTREAM_URL": "http://127.0.0.2:8080",
    "SENDER_UPSTREAM_ALLOW": "127.0.0.0/8,origin.internal",
    "SENDER_HLS_SEGMENT_SECONDS": "1.5",
    "SENDER_HLS_WINDOW_SEGMENTS": "4",
    "SENDER_HLS_PART_SECONDS": "0.3",
    "SENDER_HLS_LOW_LATENCY": "false",
    "SENDER_HLS_RETENTION_SECONDS": "60",
    "SENDER_COUNT_LOCALHOST": "true",
    "SENDER_VIEWER_IDLE_SECONDS": "6",
    "SENDER_METRICS_INGEST_TOKEN": "tok-en",
    "SENDER_ON_DEMAND_IDLE_SECONDS": "0.25",
}


def test_a_misspelled_field_is_refused() -> None:
    with pytest.raises(ValueError, match="EdgeSettings has no field upstrem_url"):
        role_env("edge", upstrem_url="http://127.0.0.2:8080")
    with pytest.raises(ValueError, match="OriginSettings has no field upstream_url"):
        role_env("origin", upstream_url="http://127.0.0.2:8080")  # an edge field


def test_a_misspelled_variable_is_refused() -> None:
    with pytest.raises(ValueError, match="has no variable SENDER_UPSTRAEM_URL"):
        settings_from_env(role_settings("edge"), {"SENDER_UPSTRAEM_URL": "http://x"})
    with pytest.raises(ValueError, match="SENDER_SNAPSHOT_SECONDS"):
        check_env_names(role_settings("origin"), ["SENDER_SNAPSHOT_SECONDS"])
    check_env_names(role_settings("metrics"), ["SENDER_SNAPSHOT_SECONDS", "PATH"])


def test_a_bad_value_is_refused_before_a_child_starts() -> None:
    with pytest.raises(ValidationError, match="http_port"):
        role_env("metrics", http_port=70000)
    with pytest.raises(ValidationError, match="SENDER_TRUSTED_PROXIES"):
        role_env("origin", trusted_proxies=["not-a-cidr"])


def test_names_come_from_the_model() -> None:
    env = role_env("origin", rtmp_port=1936, reconnect_grace_seconds=1, api_token=None)
    assert env == {"SENDER_RTMP_PORT": "1936", "SENDER_RECONNECT_GRACE_SECONDS": "1"}
    assert env_name(CommonSettings, "viewer_salt") == "SENDER_VIEWER_SALT"


def test_round_trip_env_model_env_model_is_identical() -> None:
    model = EdgeSettings
    first = settings_from_env(model, EDGE_ENV)
    assert first.hls == HlsConfig(1.5, 4, 60.0, 0.3, False)
    assert first.upstream_allow == ["127.0.0.0/8", "origin.internal"]
    env = settings_env(first)
    second = settings_from_env(model, env)
    assert second == first
    assert second.model_fields_set == first.model_fields_set
    assert settings_env(second) == env
    assert env["SENDER_HLS_LOW_LATENCY"] == "false" and env["SENDER_HLS_RETENTION_SECONDS"] == "60"


def test_from_env_reads_like_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the child reads from its real environment equals `settings_from_env`."""
    model = role_settings("edge")
    for key, value in EDGE_ENV.items():
        monkeypatch.setenv(key, value)
    assert model() == settings_from_env(model, EDGE_ENV)


def test_from_env_ignores_the_parents_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDER_HTTP_PORT", "1")
    monkeypatch.setenv("SENDER_VIEWER_SALT", "parent")
    settings = settings_from_env(OriginSettings, {"SENDER_RTMP_PORT": "2000"})
    assert (settings.http_port, settings.viewer_salt, settings.rtmp_port) == (8080, "", 2000)
    assert given(OriginSettings, rtmp_port=2000) == settings


def test_hls_config_has_an_env_form() -> None:
    hls = HlsConfig(segment_seconds=1.0, window_segments=3, part_seconds=0.25, low_latency=False)
    env = role_env("origin", hls=hls)
    assert env == {
        "SENDER_HLS_SEGMENT_SECONDS": "1",
        "SENDER_HLS_WINDOW_SEGMENTS": "3",
        "SENDER_HLS_RETENTION_SECONDS": "3600",
        "SENDER_HLS_PART_SECONDS": "0.25",
        "SENDER_HLS_LOW_LATENCY": "false",
    }
    assert settings_from_env(role_settings("origin"), env).hls == hls


@pytest.mark.parametrize("role", list(ROLES))
def test_every_field_of_every_role_survives_the_round_trip(role: str, tmp_path: Path) -> None:
    """Defaults of every field, given explicitly, come back unchanged through the env."""
    model = role_settings(role)
    values = {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
    }
    values |= {"data_dir": tmp_path, "trusted_proxies": ["127.0.0.0/8"], "node_name": "n1"}
    settings = given(model, **values)
    back = settings_from_env(model, settings_env(settings))
    assert back == settings


def test_viewer_settings_are_read_with_the_role(monkeypatch: pytest.MonkeyPatch) -> None:
    """One settings model: viewer knobs and the shared token come with the role's settings."""
    monkeypatch.setenv("SENDER_VIEWER_LABEL_LIMIT", "7")
    monkeypatch.setenv("SENDER_METRICS_INGEST_TOKEN", "shared")
    for role in ROLES:
        settings = role_settings(role)()
        assert (settings.viewer_label_limit, settings.metrics_ingest_token) == (7, "shared")
    assert CommonSettings(hls_window_segments=2, hls_segment_seconds=1).idle_seconds == 15.0
    assert CommonSettings(viewer_idle_seconds=4).idle_seconds == 4.0


def test_test_processes_refuse_a_misspelled_setting(tmp_path: Path) -> None:
    """`tests.procs.start_role` fails before starting anything on a typo."""
    with pytest.raises(ValueError, match="OriginSettings has no field rtmp_prot"):
        start_role("origin", tmp_path, settings={"rtmp_prot": 1935}, ready=False)
    with pytest.raises(ValueError, match="EdgeSettings has no field upstream_ur"):
        start_role("edge", tmp_path, settings={"upstream_ur": "http://127.0.0.2"}, ready=False)
    assert not list(tmp_path.glob("*.log"))  # no process was started
