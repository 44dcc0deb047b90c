"""What `sender up` hands each role: an environment built from the role's settings model."""

from __future__ import annotations

from pathlib import Path

from sender_cli.local.roles import UpConfig, UpSettings, role_specs
from sender_common.settings import role_settings, settings_from_env


def test_each_role_gets_its_variables(tmp_path: Path) -> None:
    config = UpConfig(data_dir=tmp_path, ingest_token="tok", srt_port=0, segment_seconds=1.5)
    specs = role_specs(config, {"metrics", "edge"})
    assert [(s.name, s.port, s.flag) for s in specs] == [
        ("metrics", 8082, "--metrics-port"),
        ("origin", 8080, "--origin-port"),
        ("edge", 8081, "--edge-port"),
    ]
    shared = {
        "SENDER_HOST": "127.0.0.1",
        "SENDER_COUNT_LOCALHOST": "true",
        "SENDER_HLS_SEGMENT_SECONDS": "1.5",
        "SENDER_HLS_WINDOW_SEGMENTS": "6",
        "SENDER_METRICS_INGEST_TOKEN": "tok",
    }
    report = {"SENDER_METRICS_URL": "http://127.0.0.1:8082"}
    expected = {
        "metrics": {"SENDER_HTTP_PORT": "8082"},
        "origin": {"SENDER_HTTP_PORT": "8080", "SENDER_RTMP_PORT": "1935", "SENDER_SRT_PORT": "0"}
        | report,
        "edge": {"SENDER_HTTP_PORT": "8081", "SENDER_UPSTREAM_URL": "http://127.0.0.1:8080"}
        | report,
    }
    for spec in specs:
        data_dir = {"SENDER_DATA_DIR": str(tmp_path / spec.name)}
        assert spec.env == shared | data_dir | expected[spec.name], spec.name
        settings = settings_from_env(role_settings(spec.name), spec.env)  # what the child reads
        assert settings.http_port == spec.port and settings.hls.segment_seconds == 1.5


def test_without_metrics_nodes_do_not_report(tmp_path: Path) -> None:
    specs = role_specs(UpConfig(data_dir=tmp_path), {"edge"})
    assert [s.name for s in specs] == ["origin", "edge"]
    for spec in specs:
        assert "SENDER_METRICS_URL" not in spec.env
        assert "SENDER_METRICS_INGEST_TOKEN" not in spec.env


def test_up_settings_become_the_config(tmp_path: Path) -> None:
    settings = UpSettings(
        data_dir=tmp_path, hls_segment_seconds=3, hls_window_segments=4, up_restart_budget=2
    )
    config = settings.config(demo=True, edge_port=9081)
    assert (config.segment_seconds, config.window_segments, config.restart_budget) == (3, 4, 2)
    assert (config.data_dir, config.demo, config.edge_port) == (tmp_path, True, 9081)
