"""The container stack: metrics, origin and edge images on the host network, VictoriaMetrics
on the host scraping them. Needs podman or docker and `make images` first."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from e2e.containers.engine import Container, ContainerEngine, find_engine
from e2e.topology import EDGE_ENV, ORIGIN_ENV, VIEWER_ENV
from e2e.vm import ScrapeTarget, VictoriaMetrics
from sender_common.settings import CommonSettings
from sender_common.settings_env import given, role_env, settings_env
from tests.procs import free_port, stop_publisher

ROLES = ("origin", "edge", "metrics")
ORIGIN_HOST, EDGE_HOST, METRICS_HOST = "127.0.0.2", "127.0.0.3", "127.0.0.5"
TOKEN = "e2e-containers-token"
COMMON_ENV = {
    **VIEWER_ENV,
    **settings_env(given(CommonSettings, api_token=TOKEN, hls_segment_seconds=1)),
}


@dataclass
class Stack:
    engine: ContainerEngine
    origin: Container
    edge: Container
    metrics: Container
    vm: VictoriaMetrics | None
    rtmp_port: int
    srt_port: int
    publisher: subprocess.Popen[bytes] | None = None
    ready_seconds: dict[str, float] = field(default_factory=dict)

    def node_id(self, container: Container) -> str:
        return str(container.get("/api/v1/node").json()["node_id"])

    def scrape_targets(self) -> list[ScrapeTarget]:
        nodes = (self.origin, self.edge, self.metrics)
        return [ScrapeTarget(c.role, c.address, self.node_id(c)) for c in nodes]


@pytest.fixture(scope="session")
def engine() -> Iterator[ContainerEngine]:
    executable = find_engine()
    if executable is None:
        pytest.skip("neither podman nor docker is installed (scripts/install-container-deps)")
    eng = ContainerEngine(executable, prefix=f"sender-e2e-{os.getpid()}")
    missing = [role for role in ROLES if not eng.has_image(role)]
    if missing:
        pytest.fail(
            f"images not built: {missing}: run `make e2e-containers` (it runs `make images`)"
        )
    try:
        yield eng
    finally:
        eng.cleanup()


@pytest.fixture(scope="module")
def stack(engine: ContainerEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    metrics_port = free_port(METRICS_HOST)
    metrics_url = f"http://{METRICS_HOST}:{metrics_port}"
    node_env = {**COMMON_ENV, **role_env("origin", metrics_url=metrics_url)}
    rtmp_port = free_port(ORIGIN_HOST)
    srt_port = free_udp_port(ORIGIN_HOST)
    origin_port = free_port(ORIGIN_HOST)
    origin_env = {
        **node_env,
        **ORIGIN_ENV,
        **role_env(
            "origin",
            trusted_proxies=[f"{EDGE_HOST}/32"],
            rtmp_port=rtmp_port,
            srt_port=srt_port,
        ),
    }
    edge_env = {
        **node_env,
        **EDGE_ENV,
        **role_env(
            "edge",
            upstream_url=f"http://{ORIGIN_HOST}:{origin_port}",
            upstream_allow=["127.0.0.0/8"],
            upstream_bind=EDGE_HOST,
        ),
    }
    metrics = engine.start(
        "metrics",
        "metrics",
        METRICS_HOST,
        metrics_port,
        {**COMMON_ENV, **role_env("metrics", snapshot_seconds=2)},
    )
    origin = engine.start("origin", "origin", ORIGIN_HOST, origin_port, origin_env)
    edge = engine.start("edge", "edge", EDGE_HOST, free_port(EDGE_HOST), edge_env)
    s = Stack(engine, origin, edge, metrics, None, rtmp_port, srt_port)
    for c in (metrics, origin, edge):
        s.ready_seconds[c.role] = c.wait_ready()
    try:
        if VictoriaMetrics.executable():
            s.vm = VictoriaMetrics(tmp_path_factory.mktemp("vm"), "127.0.0.6")
            s.vm.start(s.scrape_targets())
            s.vm.wait_value('count(up{job=~"sender-.*"} == 1)', 3, 30)
        yield s
    finally:
        if s.publisher is not None:
            stop_publisher(s.publisher)
        if s.vm is not None:
            s.vm.stop()
        for c in (s.edge, s.origin, s.metrics):
            if c.running():
                c.stop()


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def vm_or_skip(stack: Stack) -> VictoriaMetrics:
    if stack.vm is None:
        pytest.skip("victoria-metrics is not installed (scripts/install-system-deps)")
    return stack.vm
