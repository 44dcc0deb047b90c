"""Every management command against a live `sender up` (origin, edge, metrics as processes)."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.stack import SenderUp, sender_argv, start_sender_up
from tests.procs import signal_and_wait, spawn, stream_state
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SenderUp]:
    up = start_sender_up(tmp_path_factory.mktemp("cmds"), demo=False)
    yield up
    up.interrupt()


def cli(*args: str) -> dict[str, object]:
    out = subprocess.run(sender_argv(*args, "--json"), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr + out.stdout
    parsed: dict[str, object] = json.loads(out.stdout)
    return parsed


def publisher_log(tmp_path: Path) -> str:
    return (tmp_path / "publish-test.log").read_text(errors="replace")[-3000:]


def test_endpoint_and_stream_commands(stack: SenderUp, tmp_path: Path) -> None:
    o = ("--origin", stack.origin)
    created = cli("endpoints", "create", "cmds", "--title", "Commands", *o)
    key = str(created["stream_key"])
    shown = cli("endpoints", "show", "cmds", *o)
    assert shown["title"] == "Commands" and "stream_key" not in shown and key not in str(shown)
    listed = cli("endpoints", "list", *o)
    assert [e["slug"] for e in listed["data"]] == ["cmds"]  # type: ignore[attr-defined]
    rotated = cli("endpoints", "rotate-key", "cmds", *o)
    assert rotated["stream_key"] != key
    key = str(rotated["stream_key"])

    # publish-test with the new key (a supervised test pattern, until Ctrl-C)
    rtmp = f"rtmp://127.0.0.1:{stack.rtmp_port}/live"
    log = (tmp_path / "publish-test.log").open("wb")
    pub = spawn(
        sender_argv("publish-test", "cmds", "--key", key, "--rtmp", rtmp, "--gop-seconds", "1", *o),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # polled over HTTP: each `sender` command is a fresh interpreter (seconds on a loaded
        # machine), and the publisher is one too before its ffmpeg even starts
        try:
            wait_for(lambda: stream_state(stack.origin, "cmds") == "live", 60, "live")
        except AssertionError as exc:
            logs = f"publish-test:\n{publisher_log(tmp_path)}\nsender up:\n{stack.log()[-3000:]}"
            raise AssertionError(f"{exc}\n{logs}") from None
        assert cli("streams", "status", "cmds", *o)["state"] == "live"
        url = f"{stack.origin}/sender/hls/cmds/live.m3u8"
        wait_for(lambda: "#EXTINF" in httpx.get(url, timeout=5).text, 30, "segments")
    finally:
        assert signal_and_wait(pub, signal.SIGINT, 15, pub.kill) is not None
        log.close()

    stopped = cli("streams", "stop", "cmds", *o)
    assert stopped["state"] == "stopped"
    started = cli("streams", "start", "cmds", *o)
    assert started["state"] == "waiting_source"

    e = ("--edge", stack.edge)
    mirror = cli("edge", "start", "cmds", "--upstream", stack.origin, *e)
    assert mirror["endpoint"] == "cmds"
    assert cli("edge", "status", "cmds", *e)["endpoint"] == "cmds"
    assert any(s["endpoint"] == "cmds" for s in cli("edge", "status", *e)["data"])  # type: ignore[attr-defined]
    assert cli("edge", "stop", "cmds", *e)["desired"] is False

    out = subprocess.run(
        sender_argv("endpoints", "delete", "cmds", "--yes", *o),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert httpx.get(f"{stack.origin}/api/v1/endpoints/cmds", timeout=5).status_code == 404
