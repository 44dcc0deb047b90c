"""The multi-node cluster: origin, two edges, metrics and VictoriaMetrics as real processes.

Each role binds its own loopback address, so a node's fetches and a viewer's requests come
from distinct sources the way they would across machines:

    origin 127.0.0.2 (HTTP + RTMP)   edges 127.0.0.3, 127.0.0.4   metrics 127.0.0.5
    victoria-metrics 127.0.0.6       simulated viewers 127.0.0.7 and up

Nodes are addressed by the node id they report at `GET /api/v1/node`.
"""

from __future__ import annotations

__all__ = ["Cluster"]

import os
import signal
import subprocess
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from e2e.front import RoundRobinFront
from e2e.media import live_uris
from e2e.nodes import Node, cluster_pids_alive, identify, kill_pid
from e2e.topology import (
    EDGE_ENV,
    EDGE_HOSTS,
    METRICS_ENV,
    METRICS_HOST,
    ORIGIN_ENV,
    ORIGIN_HOST,
    VIEWER_ENV,
    VM_HOST,
)
from e2e.vm import ScrapeTarget, VictoriaMetrics
from sender_common.settings import role_settings
from sender_common.settings_env import role_env, settings_from_env
from tests.procs import (
    Proc,
    children_of,
    free_port,
    pid_alive,
    publish,
    start_role,
    wait_ready,
)
from tests.waiting import wait_for


@dataclass
class Cluster:
    """Start with `start()`, always `stop()`: stops everything and checks nothing is left."""

    root: Path
    edges_count: int = 2
    with_metrics: bool = True
    with_vm: bool = True
    database_urls: dict[str, str] = field(default_factory=dict)  # role -> SENDER_DATABASE_URL
    metrics_redis_url: str = ""  # set: `metrics_replicas` replicas share it, behind nginx
    metrics_replicas: int = 1
    origin: Node | None = None
    edges: list[Node] = field(default_factory=list)
    metrics: Node | None = None
    more_metrics: list[Node] = field(default_factory=list)
    front: RoundRobinFront | None = None
    more_origins: list[tuple[Node, int]] = field(default_factory=list)  # (node, RTMP port)
    vm: VictoriaMetrics | None = None
    rtmp_port: int = 0
    origin_url: str = ""
    metrics_url: str = ""
    publishers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _seen_pids: set[int] = field(default_factory=set)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Cluster:
        """Launch every role at once (they only need each other's addresses), then wait."""
        self.root.mkdir(parents=True, exist_ok=True)
        launched: list[tuple[str, Proc]] = []
        if self.with_metrics:
            self._launch_metrics(launched)
        self.rtmp_port = free_port(ORIGIN_HOST)
        origin_env = {**ORIGIN_ENV, **role_env("origin", rtmp_port=self.rtmp_port)}
        launched.append(("origin", self.launch("origin", ORIGIN_HOST, "origin", origin_env)))
        self.origin_url = launched[-1][1].url
        for i, host in enumerate(EDGE_HOSTS[: self.edges_count]):
            launched.append(("edge", self.launch("edge", host, f"edge{i}", self._edge_env(host))))
        nodes = [self.ready(role, proc) for role, proc in launched]
        replicas = [n for n in nodes if n.role == "metrics"]
        self.metrics = replicas[0] if replicas else None
        self.more_metrics = replicas[1:]
        self.origin = next(n for n in nodes if n.role == "origin")
        self.edges = [n for n in nodes if n.role == "edge"]
        if self.with_vm and VictoriaMetrics.executable():
            self.vm = VictoriaMetrics(self.root / "vm", VM_HOST)
            self.vm.start(self.scrape_targets())
            self.vm.wait_value('count(up{job=~"sender-.*"} == 1)', len(self.nodes()), 30)
        return self

    def _launch_metrics(self, launched: list[tuple[str, Proc]]) -> None:
        """One metrics process, or replicas sharing Redis behind a round-robin front."""
        redis = role_env("metrics", metrics_redis_url=self.metrics_redis_url or None)
        env = {**METRICS_ENV, **redis}
        for i in range(self.metrics_replicas):
            name = "metrics" if i == 0 else f"metrics{i}"
            launched.append(("metrics", self.launch("metrics", METRICS_HOST, name, env)))
        self.metrics_url = launched[-1][1].url
        if self.metrics_replicas > 1:
            upstreams = [proc.url.split("://", 1)[1] for _, proc in launched]
            self.front = RoundRobinFront(self.root / "front", METRICS_HOST, upstreams).start()
            self._seen_pids.add(self.front.pid)
            self.metrics_url = self.front.url

    def add_origin(self, name: str) -> tuple[Node, int]:
        """Another origin on the origin address (own HTTP and RTMP ports and data dir)."""
        rtmp_port = free_port(ORIGIN_HOST)
        node = self.spawn(
            "origin", ORIGIN_HOST, name, {**ORIGIN_ENV, **role_env("origin", rtmp_port=rtmp_port)}
        )
        self.more_origins.append((node, rtmp_port))
        if self.vm is not None:  # picked up within -promscrape.configCheckInterval
            self.vm.write_config(self.scrape_targets())
        return node, rtmp_port

    def nodes(self) -> list[Node]:
        extra = [n for n, _ in self.more_origins]
        nodes = (self.origin, *extra, *self.edges, self.metrics, *self.more_metrics)
        return [n for n in nodes if n is not None]

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes() if n.node_id == node_id)

    def scrape_targets(self) -> list[ScrapeTarget]:
        return [ScrapeTarget(n.role, n.address, n.node_id) for n in self.nodes()]

    def _edge_env(self, host: str) -> dict[str, str]:
        # upstream fetches leave from the edge's own address, as they would across machines
        return {**EDGE_ENV, **role_env("edge", upstream_url=self.origin_url, upstream_bind=host)}

    def _common_env(self, role: str) -> dict[str, str]:
        report = self.metrics_url if role != "metrics" else ""
        database_url = self.database_urls.get(role)
        node = role_env(role, metrics_url=report or None, database_url=database_url)
        return {**VIEWER_ENV, **node}

    def launch(
        self, role: str, host: str, name: str, env: dict[str, str], port: int | None = None
    ) -> Proc:
        """Start a role process in `root/name` without waiting for it."""
        proc = start_role(
            role,
            self.root / name,
            host=host,
            port=port or free_port(host),
            # the variables the topology made from the role's model, read back as settings
            settings=settings_from_env(role_settings(role), {**self._common_env(role), **env}),
            ready=False,
        )
        self._seen_pids.add(proc.pid)
        return proc

    def ready(self, role: str, proc: Proc, timeout: float = 45) -> Node:
        wait_ready(proc, timeout)
        return identify(proc, role)

    def spawn(
        self, role: str, host: str, name: str, env: dict[str, str], port: int | None = None
    ) -> Node:
        return self.ready(role, self.launch(role, host, name, env, port))

    def restart_edge(self, index: int) -> Node:
        """SIGKILL an edge and start it again on the same address, port and data dir."""
        old = self.edges[index]
        self._remember_children(old)
        old.proc.kill()
        new = self.spawn(
            "edge", old.host, old.proc.data_dir.name, self._edge_env(old.host), port=old.port
        )
        assert new.node_id == old.node_id, "the node key lives in the data dir"
        self.edges[index] = new
        return new

    def stop(self) -> None:
        """Stop publishers, edges, origin, metrics and VictoriaMetrics; assert no leftovers."""
        for pub in self.publishers:
            self.stop_publisher(pub)
        for node in reversed(self.nodes()):
            self._remember_children(node)
        for node in reversed(self.nodes()):
            node.proc.stop(timeout=20)
        if self.front is not None:
            self.front.stop()
        if self.vm is not None:
            self.vm.stop()
        self.assert_no_leftovers()

    def _remember_children(self, node: Node) -> None:
        if node.proc.popen.poll() is None:
            self._seen_pids.update(children_of(node.proc.pid))

    def assert_no_leftovers(self, timeout: float = 20) -> None:
        markers = [str(self.root)]
        for port in (self.rtmp_port, *(p for _, p in self.more_origins)):
            if port:
                markers.append(f"{ORIGIN_HOST}:{port}")

        def _clean() -> bool:
            alive = [p for p in self._seen_pids if pid_alive(p)]
            strays = [hit for m in markers for hit in cluster_pids_alive(m)]
            return not alive and not strays

        try:
            wait_for(_clean, timeout, "every cluster process to exit", interval=0.2)
        except AssertionError:
            alive = [p for p in self._seen_pids if pid_alive(p)]
            strays = [hit for m in markers for hit in cluster_pids_alive(m)]
            for pid, _ in strays:
                kill_pid(pid)
            for pid in alive:
                kill_pid(pid)
            raise AssertionError(f"left running: pids {alive}, by command line {strays}") from None

    # -- streams -----------------------------------------------------------------------------

    def create_endpoint(self, slug: str, node: Node | None = None, **fields: Any) -> str:
        """Create `slug` on the origin; returns its stream key."""
        target = node or self.origin
        assert target is not None
        r = httpx.post(f"{target.url}/api/v1/endpoints", json={"slug": slug, **fields}, timeout=10)
        assert r.status_code == 201, r.text
        return str(r.json()["stream_key"])

    def rtmp_url(self, key: str, port: int | None = None) -> str:
        return f"rtmp://{ORIGIN_HOST}:{port or self.rtmp_port}/live/{key}"

    def publish(self, key: str, port: int | None = None) -> subprocess.Popen[bytes]:
        """A real ffmpeg publisher (320x180 test pattern), stopped with the cluster."""
        pub = publish(self.rtmp_url(key, port))
        self.publishers.append(pub)
        self._seen_pids.add(pub.pid)
        return pub

    def stop_publisher(self, pub: subprocess.Popen[bytes]) -> None:
        if pub.poll() is None:
            try:
                os.killpg(pub.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pub.wait(10)
        if pub.stderr is not None:
            pub.stderr.close()

    def start_session(self, edge: Node, endpoint: str, **body: Any) -> dict[str, Any]:
        assert self.origin is not None
        payload = {"endpoint": endpoint, "upstream_url": self.origin.url, "verify_tls": False}
        r = httpx.post(f"{edge.url}/api/v1/edge/sessions", json={**payload, **body}, timeout=10)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    @staticmethod
    def session(edge: Node, endpoint: str) -> dict[str, Any]:
        data: dict[str, Any] = edge.json(f"/api/v1/edge/sessions/{endpoint}")
        return data

    def wait_session(
        self, edge: Node, endpoint: str, state: str, timeout: float = 30, **match: Any
    ) -> dict[str, Any]:
        def _in_state() -> dict[str, Any] | None:
            s = self.session(edge, endpoint)
            ok = s["state"] == state and all(s.get(k) == v for k, v in match.items())
            return s if ok else None

        try:
            return wait_for(_in_state, timeout, f"{edge.node_id[:8]} {endpoint} {state} {match}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; now {self.session(edge, endpoint)}") from None

    def live_on_every_edge(self, endpoint: str, key: str) -> None:
        """Mirror `endpoint` on every edge, publish to `key` and wait for segments on each."""
        for edge in self.edges:
            self.start_session(edge, endpoint)
        self.publish(key)
        for edge in self.edges:
            self.wait_session(edge, endpoint, "live", 40)
            wait_for(partial(live_uris, edge.url, endpoint), 30, "segments on the edge")

    def generations(self, endpoint: str, node: Node | None = None) -> list[dict[str, Any]]:
        target = node or self.origin
        assert target is not None
        data: list[dict[str, Any]] = target.json(f"/api/v1/endpoints/{endpoint}/generations")
        return data
