"""What `sender up` hands each role: an environment built from the role's settings model."""

from __future__ import annotations

from pathlib import Path

from sender_cli.local.roles import RoleSpec, UpConfig, UpSettings, role_specs
from sender_common.settings import role_settings
from sender_common.settings_env import settings_from_env


def read_back(spec: RoleSpec) -> dict[str, object]:
    """The settings a role's child process reads from `spec.env`: the fields it sets."""
    settings = settings_from_env(role_settings(spec.name), spec.env)
    return {name: getattr(settings, name) for name in settings.model_fields_set}


def test_each_role_gets_its_variables(tmp_path: Path) -> None:
    config = UpConfig(data_dir=tmp_path, ingest_token="tok", srt_port=0, segment_seconds=1.5)
    specs = role_specs(config, {"metrics", "edge"})
    assert [(s.name, s.port, s.flag) for s in specs] == [
        ("metrics", 8082, "--metrics-port"),
        ("origin", 8080, "--origin-port"),
        ("edge", 8081, "--edge-port"),
    ]
    shared: dict[str, object] = {
        "host": "127.0.0.1",
        "count_localhost": True,
        "hls_segment_seconds": 1.5,
        "hls_window_segments": 6,
        "metrics_ingest_token": "tok",
    }
    report: dict[str, object] = {"metrics_url": "http://127.0.0.1:8082"}
    expected: dict[str, dict[str, object]] = {
        "metrics": {"http_port": 8082},
        "origin": {"http_port": 8080, "rtmp_port": 1935, "srt_port": 0} | report,
        "edge": {"http_port": 8081, "upstream_url": "http://127.0.0.1:8080"} | report,
    }
    for spec in specs:
        data_dir = {"data_dir": tmp_path / spec.name}
        assert read_back(spec) == shared | data_dir | expected[spec.name], spec.name


def test_without_metrics_nodes_do_not_report(tmp_path: Path) -> None:
    specs = role_specs(UpConfig(data_dir=tmp_path), {"edge"})
    assert [s.name for s in specs] == ["origin", "edge"]
    for spec in specs:
        assert not {"metrics_url", "metrics_ingest_token"} & set(read_back(spec))


def test_up_settings_become_the_config(tmp_path: Path) -> None:
    settings = UpSettings(
        data_dir=tmp_path, hls_segment_seconds=3, hls_window_segments=4, up_restart_budget=2
    )
    config = settings.config(demo=True, edge_port=9081)
    assert (config.segment_seconds, config.window_segments, config.restart_budget) == (3, 4, 2)
    assert (config.data_dir, config.demo, config.edge_port) == (tmp_path, True, 9081)
