"""`sender up` keeps going when a role dies: restarted with backoff, the stream plays again;
a role that keeps dying ends `sender up` with its last log lines. SENDER_* is honoured."""

from __future__ import annotations

import errno
import os
import signal
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sender_cli.local.restarts import RestartBudget
from sender_cli.local.roles import UpSettings
from sender_cli.main import app
from sender_common.settings import default_data_dir
from tests.cli.stack import live_segments, start_sender_up
from tests.waiting import wait_for


def test_restart_budget_backs_off_and_runs_out() -> None:
    now = [0.0]
    budget = RestartBudget(budget=3, window=60, initial=0.5, maximum=1.5, clock=lambda: now[0])
    assert [budget.next_delay("edge") for _ in range(3)] == [0.5, 1.0, 1.5]
    assert budget.next_delay("edge") is None
    assert budget.next_delay("origin") == 0.5  # per role
    now[0] = 61.0  # old restarts no longer count
    assert budget.next_delay("edge") == 0.5


def test_flags_over_environment_over_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert UpSettings.from_flags(data_dir=None).data_dir == default_data_dir()
    monkeypatch.setenv("SENDER_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("SENDER_HLS_SEGMENT_SECONDS", "1.5")
    monkeypatch.setenv("SENDER_RTMP_PORT", "2935")
    from_env = UpSettings.from_flags(data_dir=None, hls_segment_seconds=None).config()
    assert from_env.data_dir == tmp_path / "env"
    assert from_env.segment_seconds == 1.5 and from_env.rtmp_port == 2935
    flagged = UpSettings.from_flags(data_dir=tmp_path / "flag", rtmp_port=3935).config()
    assert flagged.data_dir == tmp_path / "flag" and flagged.rtmp_port == 3935


@pytest.mark.slow
def test_a_killed_role_comes_back_and_the_stream_plays_again(tmp_path: Path) -> None:
    env_dir = tmp_path / "from-env"
    up = start_sender_up(tmp_path, env={"SENDER_DATA_DIR": str(env_dir)})
    try:
        assert (env_dir / "sender-up.pids").exists()  # SENDER_DATA_DIR, not ./data
        assert not (tmp_path / "data").exists()
        wait_for(lambda: len(live_segments(up.edge)) >= 2, 40, "edge segments")
        before = up.role_pids()
        seen = set(live_segments(up.origin))
        os.kill(before["origin"], signal.SIGKILL)

        def restarted() -> bool:
            return up.role_pids()["origin"] != before["origin"]

        wait_for(restarted, 20, "a new origin process")
        assert up.popen.poll() is None
        fresh = wait_for(
            lambda: [u for u in live_segments(up.origin) if u not in seen], 60, "new segments"
        )
        assert fresh
        wait_for(
            lambda: [u for u in live_segments(up.edge) if u not in seen], 60, "edge plays again"
        )
        after = up.role_pids()
        assert after["edge"] == before["edge"] and after["metrics"] == before["metrics"]
        assert "origin exited" in up.log()
    finally:
        up.interrupt()
        up.kill()


@pytest.mark.slow
def test_a_role_that_keeps_dying_ends_sender_up_with_its_log(tmp_path: Path) -> None:
    up = start_sender_up(tmp_path, demo=False, env={"SENDER_UP_RESTART_BUDGET": "1"})
    try:
        first = up.role_pids()["metrics"]
        os.kill(first, signal.SIGKILL)
        second = wait_for(
            lambda: (pid := up.role_pids()["metrics"]) != first and pid, 20, "restarted metrics"
        )
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: up.popen.poll() is not None, 30, "sender up to give up")
        assert up.popen.returncode == 1
        text = up.log()
        assert "metrics kept exiting" in text and "metrics.log" in text
    finally:
        up.kill()


def test_off_loopback_without_token_fails_before_binding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, with every socket bind refused: `sender up --host 0.0.0.0` must exit 2
    naming SENDER_API_TOKEN before it binds (or checks) a single port."""
    for name in [k for k in os.environ if k.startswith("SENDER_")]:
        monkeypatch.delenv(name)
    bound: list[object] = []

    def no_bind(sock: socket.socket, address: object) -> None:
        bound.append(address)
        raise OSError(errno.EACCES, f"this test binds nothing (asked for {address})")

    monkeypatch.setattr(socket.socket, "bind", no_bind)
    result = CliRunner().invoke(app, ["up", "--data-dir", str(tmp_path), "--host", "0.0.0.0"])
    assert bound == []
    assert result.exit_code == 2, result.output
    assert "SENDER_API_TOKEN" in result.stderr and "SENDER_HOST=0.0.0.0" in result.stderr
