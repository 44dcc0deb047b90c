"""Two metrics replicas in this process sharing one real redis-server: viewers counted once
whichever replica a batch reaches, replay protection and key pins shared, one exporter."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from sender_common.models import SessionState
from sender_common.node import NodeIdentity
from sender_common.viewers.batch import StreamStateData
from sender_metrics.main import create_app
from sender_metrics.models import EndpointSnapshot
from sender_metrics.replicas.connection import RedisConnection
from sender_metrics.replicas.stream_states import RedisStreams
from sender_metrics.settings import MetricsSettings
from sender_metrics.stream_states import StreamBook
from tests import scrape
from tests.metrics.helpers import CONTROL, INGEST, batch_body, control_body, signed
from tests.procs import free_port
from tests.redis_server import RedisServer
from tests.tools import require_tool
from tests.waiting import wait_for

TOKEN = "replica-token-1234"
IDLE = 3.0


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    require_tool("redis-server")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    redis_server.client().flushall()
    return redis_server.url


def settings_for(root: Path, url: str, name: str, **kw: object) -> MetricsSettings:
    fields: dict[str, object] = {
        "data_dir": root / name,
        "metrics_ingest_token": TOKEN,
        "metrics_redis_url": url,
        "snapshot_seconds": 1,
        "viewer_idle_seconds": IDLE,
        **kw,
    }
    return MetricsSettings.model_validate(fields)


@pytest.fixture
def replicas(tmp_path: Path, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(TestClient(create_app(settings_for(tmp_path, redis_url, n))))
            for n in ("a", "b")
        )
        yield a, b


def node() -> NodeIdentity:
    return NodeIdentity(Ed25519PrivateKey.generate())


def post(client: TestClient, identity: NodeIdentity, body: bytes, token: str = "") -> int:
    r = client.post(INGEST, content=body, headers=signed(identity, body, token=token))
    assert r.status_code != 500, r.text
    return r.status_code


def now(client: TestClient, endpoint: str = "ep") -> int:
    return int(client.get(f"/api/v1/endpoints/{endpoint}/viewers").json()["now"])


def samples(client: TestClient, family: str) -> dict[str, float]:
    """Every sample of `family` on this replica, keyed by its label text."""
    return scrape.labelled(client.get("/metrics").text, family)


def exporter(a: TestClient, b: TestClient) -> tuple[TestClient, TestClient]:
    """(the replica exporting the shared gauges, the other), once exactly one does."""

    def one() -> tuple[TestClient, TestClient] | None:
        found = [c for c in (a, b) if samples(c, "sender_viewers_active")]
        return (found[0], b if found[0] is a else a) if len(found) == 1 else None

    found = wait_for(one, 10, "exactly one replica exporting sender_viewers_active")
    assert found is not None
    return found


def audience(edges: int = 3, per_edge: int = 1000) -> tuple[list[list[str]], int]:
    """Each edge's viewer keys: 20 % of the distinct viewers are seen by two edges."""
    distinct = edges * per_edge * 5 // 6  # 2,500 viewers, 500 of them twice: 3,000 sightings
    shared = distinct // 5
    seen: list[list[str]] = [[] for _ in range(edges)]
    for i in range(distinct):
        key = f"v:viewer-{i:08d}"
        seen[i % edges].append(key)
        if i < shared:
            seen[(i + 1) % edges].append(key)
    return seen, distinct


def test_counts_exact_whichever_replica_gets_each_batch(
    replicas: tuple[TestClient, TestClient],
) -> None:
    a, b = replicas
    seen, truth = audience()
    assert sorted(len(s) for s in seen) == [1000, 1000, 1000]
    edges = [node() for _ in seen]
    for n, (edge, keys) in enumerate(zip(edges, seen, strict=True)):
        for seq, start in enumerate(range(0, len(keys), 250), 1):
            chunk = [("ep", k) for k in keys[start : start + 250]]
            target = (a, b)[(n + seq) % 2]  # batches of one node alternate replicas
            assert post(target, edge, batch_body(edge, seq, chunk), token=TOKEN) == 202
    assert now(a) == now(b) == truth
    started = sum(
        samples(c, "sender_viewer_sessions_started_total").get('{endpoint="ep"}', 0) for c in (a, b)
    )
    assert started == truth  # counters are per replica and add up to the truth
    leader, other = exporter(a, b)
    wait_for(
        lambda: samples(leader, "sender_viewers_active") == {'{endpoint="ep"}': truth},
        5,
        "the exporter's gauge",
    )
    assert samples(other, "sender_viewers_active") == {}
    assert scrape.declares(other.get("/metrics").text, "sender_viewers_active")
    # once they stop being reported, they leave within one idle timeout
    wait_for(lambda: now(a) == now(b) == 0, IDLE + 2, "viewers expired on both replicas")
    wait_for(
        lambda: samples(leader, "sender_viewers_active") == {'{endpoint="ep"}': 0},
        3,
        "the exported gauge at zero",
    )


def test_replays_and_pins_are_shared(replicas: tuple[TestClient, TestClient]) -> None:
    a, b = replicas
    edge = node()
    first = batch_body(edge, 1, [("ep", "v:vsid-aaaaaaaa")])
    assert post(a, edge, first) == 401  # not admitted: no token, key not listed
    assert post(a, edge, first, token=TOKEN) == 202
    assert post(b, edge, first) == 409  # pinned through A, replayed through B
    assert post(b, edge, batch_body(edge, 2)) == 202
    assert post(a, edge, batch_body(edge, 2)) == 409
    later = batch_body(edge, 1, boot_id="boot-bbbbbbbb", boot_at=2_000.0)
    assert post(a, edge, later) == 202
    assert post(b, edge, batch_body(edge, 3)) == 409  # the earlier boot cannot come back
    assert samples(b, "sender_metrics_batches_rejected_total") == {
        '{reason="replay"}': 1.0,
        '{reason="old_boot"}': 1.0,
    }
    # a stranger never admitted anywhere stays refused on every replica
    stranger = node()
    assert post(b, stranger, batch_body(stranger, 1)) == 401


def test_one_message_given_to_both_replicas_is_accepted_once(
    replicas: tuple[TestClient, TestClient],
) -> None:
    a, b = replicas
    edge = node()
    assert post(a, edge, batch_body(edge, 1), token=TOKEN) == 202
    for seq in range(2, 12):
        body = batch_body(edge, seq, [("ep", f"v:vsid-{seq:08d}")])
        gate = threading.Barrier(2)

        def send(c: TestClient, body: bytes = body, gate: threading.Barrier = gate) -> int:
            gate.wait(5)
            return post(c, edge, body)

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(send, (a, b)))
        assert codes == [202, 409], (seq, codes)
    assert now(a) == 10


def test_stream_state_shared_and_exported_once(replicas: tuple[TestClient, TestClient]) -> None:
    a, b = replicas
    origin = node()
    body = control_body(origin, 1, "live", generation=4)
    r = a.post(CONTROL, content=body, headers=signed(origin, body, token=TOKEN))
    assert r.status_code == 202
    older = control_body(origin, 2, "waiting_source", at=1.0)
    r = b.post(CONTROL, content=older, headers=signed(origin, older))
    assert r.status_code == 202  # accepted, but older than the state held: ignored

    def exported() -> list[dict[str, float]]:
        return [
            found for found in (samples(c, "sender_stream_generation") for c in (a, b)) if found
        ]

    wait_for(lambda: exported() == [{'{endpoint="x"}': 4.0}], 5, "one replica exporting it")
    leader, _ = exporter(a, b)
    assert samples(leader, "sender_stream_live") == {'{endpoint="x"}': 1.0}


def test_stopping_the_exporter_hands_over_without_moving_counts(
    tmp_path: Path, redis_url: str
) -> None:
    apps = {n: create_app(settings_for(tmp_path, redis_url, n)) for n in ("a", "b")}
    edge = node()
    a = TestClient(apps["a"]).__enter__()
    a_running = True
    try:
        viewers = [("ep", f"v:vsid-{i:08d}") for i in range(40)]
        assert post(a, edge, batch_body(edge, 1, viewers), token=TOKEN) == 202
        wait_for(lambda: samples(a, "sender_viewers_active"), 5, "A exporting alone")
        with TestClient(apps["b"]) as b:
            assert now(b) == 40
            assert samples(b, "sender_viewers_active") == {}
            a_running = False
            a.__exit__(None, None, None)  # A stops and gives the lease back
            wait_for(
                lambda: samples(b, "sender_viewers_active") == {'{endpoint="ep"}': 40},
                5,
                "B exporting the same count",
            )
            assert now(b) == 40
    finally:
        if a_running:
            a.__exit__(None, None, None)


def test_one_replica_writes_the_shared_history(tmp_path: Path, redis_url: str) -> None:
    database = f"sqlite:///{tmp_path / 'shared.db'}"  # stands for the shared PostgreSQL
    edge = node()
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(
                TestClient(create_app(settings_for(tmp_path, redis_url, n, database_url=database)))
            )
            for n in ("a", "b")
        )
        viewers = [("ep", f"v:vsid-{i:08d}") for i in range(7)]
        traffic = [{"endpoint": "ep", "requests": 5, "bytes": 500}]
        assert post(a, edge, batch_body(edge, 1, viewers, counters=traffic), token=TOKEN) == 202
        assert post(b, edge, batch_body(edge, 2, counters=traffic)) == 202

        def rows() -> list[EndpointSnapshot]:
            with Session(create_engine(database)) as session:
                query = select(EndpointSnapshot).where(EndpointSnapshot.endpoint == "ep")
                return list(session.exec(query.order_by(col(EndpointSnapshot.interval_start))))

        found = wait_for(lambda: len(rows()) >= 3, 10, "three snapshot intervals")
        assert found
        written = rows()
        for before, after in itertools.pairwise(written):  # one writer: no overlap
            assert after.interval_start >= before.interval_start + before.interval_seconds - 1e-6
        assert max(r.viewers_peak for r in written) == 7
        # the traffic both replicas took is in the history once
        assert (sum(r.requests for r in written), sum(r.bytes for r in written)) == (10, 1000)


def test_redis_down_is_503_and_not_ready(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with TestClient(create_app(settings_for(tmp_path, url, "a"))) as c:
        edge = node()
        r = c.post(INGEST, content=(body := batch_body(edge, 1)), headers=signed(edge, body))
        assert r.status_code == 503
        assert "unavailable" in r.json()["detail"]
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert c.get("/api/v1/endpoints/ep/viewers").status_code == 503


def test_redis_url_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SENDER_METRICS_REDIS_URL"):
        MetricsSettings(data_dir=tmp_path, metrics_redis_url="http://127.0.0.1:6379")


async def test_stream_states_are_read_again_only_when_changed(redis_url: str) -> None:
    conn = RedisConnection(redis_url)
    await conn.start()
    try:
        writer = RedisStreams(conn, StreamBook())
        reader = RedisStreams(conn, StreamBook())
        first = StreamStateData(endpoint="cam", generation=1, state=SessionState.live, at=1.0)
        assert await writer.put(first)
        assert await reader.refresh() and reader.local.live() == {"cam": 1}
        assert not await reader.refresh()  # nothing written since: no read
        assert not await writer.put(first.model_copy(update={"at": 0.5}))  # older: refused
        assert not await reader.refresh()
        ended = first.model_copy(update={"state": SessionState.stopped, "at": 2.0})
        assert await writer.put(ended)
        assert await reader.refresh() and reader.local.live() == {"cam": 0}
    finally:
        await conn.stop()
