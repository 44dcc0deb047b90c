"""`sender up --demo` as a real process: it plays, the CLI sees it, Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.stack import SenderUp, live_segments, sender_argv, start_sender_up
from tests.origin.ingest.srt_caller import free_udp_port
from tests.procs import children_of, free_port, pid_alive
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SenderUp]:
    up = start_sender_up(tmp_path_factory.mktemp("up"))
    yield up
    up.interrupt()
    up.kill()


def test_banner_shows_obs_settings_and_urls(stack: SenderUp) -> None:
    text = stack.log()
    assert f"rtmp://127.0.0.1:{stack.rtmp_port}/live" in text
    assert f"srt://127.0.0.1:{stack.srt_port}?streamid=publish:live/sk_" in text
    assert "sk_" in text  # the demo's fresh stream key
    assert f"{stack.origin}/sender/player/demo" in text
    assert f"{stack.origin}/docs" in text
    assert f"{stack.origin}/sender/console" in text  # the operator console


def test_demo_plays_on_origin(stack: SenderUp) -> None:
    uris = wait_for(
        lambda: len(live_segments(stack.origin)) >= 2 and live_segments(stack.origin),
        30,
        "origin segments",
    )
    seg = httpx.get(f"{stack.origin}/sender/hls/demo/{uris[-1]}", timeout=5)
    assert seg.status_code == 200 and seg.content[4:8] == b"moof"


def test_edge_mirrors_demo(stack: SenderUp) -> None:
    assert "edge" in stack.role_pids(), "sender up ran without its edge role"
    wait_for(lambda: live_segments(stack.edge), 30, "edge segments")
    sessions = httpx.get(f"{stack.edge}/api/v1/edge/sessions", timeout=5).json()
    assert [s["endpoint"] for s in sessions["data"]] == ["demo"]


def test_endpoints_list_json_sees_demo(stack: SenderUp) -> None:
    out = subprocess.run(
        sender_argv("endpoints", "list", "--json", "--origin", stack.origin),
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert [e["slug"] for e in json.loads(out.stdout)["data"]] == ["demo"]


def test_streams_status_json_is_live(stack: SenderUp) -> None:
    def live() -> bool:
        out = subprocess.run(
            sender_argv("streams", "status", "demo", "--json", "--origin", stack.origin),
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        return bool(json.loads(out.stdout)["state"] == "live")

    wait_for(live, 30, "demo live", interval=0.5)


def test_each_role_runs_its_declared_children(stack: SenderUp) -> None:
    """The same children list as standalone uvicorn and a host mount (tests/origin)."""
    for base in (stack.origin, stack.edge):
        manifest = httpx.get(f"{base}/api/v1/node", timeout=5).json()["manifest"]
        assert manifest["running_children"] == manifest["children"]
        assert "database" in manifest["children"]
        assert "viewers-report" in manifest["children"]  # local mode reports to metrics


def test_sigint_stops_every_child(stack: SenderUp) -> None:
    """Last in this module: it ends the stack."""
    recorded = stack.pids()
    pids = set(stack.role_pids().values()) | set(children_of(stack.popen.pid))
    if recorded.get("publisher"):
        pids.add(int(recorded["publisher"]))
    assert pids and all(pid_alive(p) for p in stack.role_pids().values())
    assert stack.interrupt(timeout=30) == 0, stack.log()[-2000:]
    alive = [p for p in pids if pid_alive(p)]
    assert alive == [], f"still running after sender up exited: {alive}"
    assert not (stack.data_dir / "sender-up.pids").exists()


def _other_ports(busy_flag: str) -> list[str]:
    """Free ports for every other flag, so a node running here does not decide the test."""
    flags = ["--origin-port", "--edge-port", "--metrics-port", "--rtmp-port"]
    args = [a for f in flags if f != busy_flag for a in (f, str(free_port()))]
    return args if busy_flag == "--srt-port" else [*args, "--srt-port", str(free_udp_port())]


@pytest.mark.parametrize(
    ("flag", "kind"), [("--edge-port", socket.SOCK_STREAM), ("--srt-port", socket.SOCK_DGRAM)]
)
def test_busy_port_fails_fast_naming_the_flag(
    tmp_path: Path, flag: str, kind: socket.SocketKind
) -> None:
    with socket.socket(socket.AF_INET, kind) as busy:
        busy.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run(
            sender_argv("up", "--data-dir", str(tmp_path), *_other_ports(flag), flag, str(port)),
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert out.returncode == 2
    assert f"port {port}" in out.stderr and flag in out.stderr
