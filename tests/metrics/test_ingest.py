"""The metrics role in-process: admission, signatures, replays, dedupe, snapshots, and the
control lane's stream state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from sender_common.node import NodeIdentity
from sender_metrics.main import create_app
from sender_metrics.models import EndpointHistory
from sender_metrics.settings import MetricsSettings
from tests import scrape
from tests.metrics.helpers import CONTROL, INGEST, batch_body, control_body, signed
from tests.waiting import wait_for

TOKEN = "ingest-token-1234"


def node() -> NodeIdentity:
    return NodeIdentity(Ed25519PrivateKey.generate())


@pytest.fixture
def known() -> NodeIdentity:
    return node()


@pytest.fixture
def settings(tmp_path: Path, known: NodeIdentity) -> MetricsSettings:
    return MetricsSettings(
        data_dir=tmp_path,
        metrics_node_keys=[known.public_key],
        metrics_ingest_token=TOKEN,
        snapshot_seconds=1,
        viewer_idle_seconds=30,
    )


@pytest.fixture
def client(settings: MetricsSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def post(
    client: TestClient,
    identity: NodeIdentity,
    body: bytes,
    *,
    signer: NodeIdentity | None = None,
    token: str = "",
) -> httpx2.Response:
    return client.post(
        INGEST, content=body, headers=signed(identity, body, signer=signer, token=token)
    )


def metric(client: TestClient, name: str, **labels: str) -> float:
    return scrape.value(client.get("/metrics").text, name, **labels) or 0.0


def now(client: TestClient, endpoint: str = "ep") -> int:
    return int(client.get(f"/api/v1/endpoints/{endpoint}/viewers").json()["now"])


def test_known_key_accepted(client: TestClient, known: NodeIdentity) -> None:
    r = post(client, known, batch_body(known, 1, [("ep", "v:vsid-aaaaaaaa")]))
    assert (r.status_code, r.json()) == (202, {"accepted": True, "viewers": 1})
    assert now(client) == 1
    assert metric(client, "sender_metrics_batches_total") == 1


def test_forged_signature_is_401_and_counted(client: TestClient, known: NodeIdentity) -> None:
    body = batch_body(known, 1, [("ep", "v:vsid-aaaaaaaa")])
    r = post(client, known, body, signer=node())
    assert r.status_code == 401 and r.json()["detail"]
    tampered = body.replace(b"vsid-aaaaaaaa", b"vsid-bbbbbbbb")
    headers = signed(known, body)
    assert client.post(INGEST, content=tampered, headers=headers).status_code == 401
    assert now(client) == 0
    assert metric(client, "sender_metrics_batches_rejected_total", reason="bad_signature") == 2


def test_claiming_another_nodes_key_is_401(client: TestClient, known: NodeIdentity) -> None:
    intruder = node()
    body = batch_body(intruder, 1, public_key=known.public_key)  # node id does not match the key
    assert post(client, intruder, body).status_code == 401
    assert metric(client, "sender_metrics_batches_rejected_total", reason="bad_key") == 1


def test_unknown_node_needs_the_token_once(client: TestClient) -> None:
    stranger = node()
    assert post(client, stranger, batch_body(stranger, 1)).status_code == 401
    assert metric(client, "sender_metrics_batches_rejected_total", reason="unknown_node") == 1
    wrong = post(client, stranger, batch_body(stranger, 2), token="nope")
    assert wrong.status_code == 401
    assert post(client, stranger, batch_body(stranger, 3), token=TOKEN).status_code == 202
    # pinned: later batches need no token
    assert post(client, stranger, batch_body(stranger, 4)).status_code == 202


def test_pinned_key_survives_restart(settings: MetricsSettings) -> None:
    stranger = node()
    with TestClient(create_app(settings)) as c:
        assert post(c, stranger, batch_body(stranger, 1), token=TOKEN).status_code == 202
    with TestClient(create_app(settings)) as c:
        assert post(c, stranger, batch_body(stranger, 2)).status_code == 202


def test_replays_and_old_boots_are_409(client: TestClient, known: NodeIdentity) -> None:
    first = batch_body(known, 5)
    assert post(client, known, first).status_code == 202
    assert post(client, known, first).status_code == 409
    assert post(client, known, batch_body(known, 4)).status_code == 409
    assert post(client, known, batch_body(known, 6)).status_code == 202
    # a restarted node (new boot, later) starts its seq again
    later = batch_body(known, 1, boot_id="boot-bbbbbbbb", boot_at=2_000.0)
    assert post(client, known, later).status_code == 202
    # the earlier boot cannot come back
    assert post(client, known, batch_body(known, 7)).status_code == 409
    assert metric(client, "sender_metrics_batches_rejected_total", reason="replay") == 2
    assert metric(client, "sender_metrics_batches_rejected_total", reason="old_boot") == 1


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"node_id": 1}'],
)
def test_invalid_batches_are_422(client: TestClient, known: NodeIdentity, body: bytes) -> None:
    assert post(client, known, body).status_code == 422


def test_one_vsid_on_two_nodes_counts_once(client: TestClient, settings: MetricsSettings) -> None:
    a, b = node(), node()
    for n in (a, b):
        post(client, n, batch_body(n, 1), token=TOKEN)
    viewers = [("ep", "v:vsid-aaaaaaaa"), ("ep", "h:" + "0" * 32)]
    assert post(client, a, batch_body(a, 2, viewers)).status_code == 202
    assert post(client, b, batch_body(b, 2, [("ep", "v:vsid-aaaaaaaa")])).status_code == 202
    assert post(client, b, batch_body(b, 3, [("ep2", "v:vsid-aaaaaaaa")])).status_code == 202
    assert now(client) == 2 and now(client, "ep2") == 1
    assert metric(client, "sender_viewers_active", endpoint="ep") == 2
    assert metric(client, "sender_viewer_sessions_started_total", endpoint="ep") == 2


def test_counters_exported_by_endpoint_and_role(client: TestClient, known: NodeIdentity) -> None:
    counters = [{"endpoint": "ep", "requests": 7, "bytes": 7000, "heartbeats": 3}]
    assert post(client, known, batch_body(known, 1, counters=counters)).status_code == 202
    assert metric(client, "sender_hls_requests_total", endpoint="ep", role="edge") == 7
    assert metric(client, "sender_hls_bytes_total", endpoint="ep", role="edge") == 7000
    assert metric(client, "sender_heartbeats_total", endpoint="ep") == 3
    text = client.get("/metrics").text
    assert "vsid" not in text and known.node_id not in text


def test_endpoint_labels_capped(tmp_path: Path, known: NodeIdentity) -> None:
    settings = MetricsSettings(
        data_dir=tmp_path, metrics_node_keys=[known.public_key], endpoint_label_limit=2
    )
    with TestClient(create_app(settings)) as c:
        viewers = [(f"ep{i}", f"v:vsid-{i:08d}") for i in range(5)]
        assert post(c, known, batch_body(known, 1, viewers)).status_code == 202
        assert metric(c, "sender_viewers_active", endpoint="other") == 3


def test_viewers_expire_after_idle(tmp_path: Path, known: NodeIdentity) -> None:
    settings = MetricsSettings(
        data_dir=tmp_path, metrics_node_keys=[known.public_key], viewer_idle_seconds=1
    )
    with TestClient(create_app(settings)) as c:
        post(c, known, batch_body(known, 1, [("ep", "v:vsid-aaaaaaaa")]))
        assert now(c) == 1
        wait_for(lambda: now(c) == 0, 5, "viewer expiry")


def test_snapshots_and_series(client: TestClient, known: NodeIdentity) -> None:
    viewers = [("ep", f"v:vsid-{i:08d}") for i in range(3)]
    counters = [{"endpoint": "ep", "requests": 10, "bytes": 100}]
    assert post(client, known, batch_body(known, 1, viewers, counters=counters)).status_code == 202

    def series() -> list[dict[str, float]]:
        body = client.get("/api/v1/endpoints/ep/viewers").json()
        return list(body["series"])

    points = wait_for(series, 10, "a snapshot row")
    assert points[0]["peak"] == 3 and points[0]["avg"] > 0
    assert set(points[0]) == {"t", "peak", "avg"}
    assert client.get("/api/v1/endpoints/Bad!/viewers").status_code == 422
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with Session(runtime.db.engine) as session:
        history = session.exec(select(EndpointHistory)).all()
    assert len(history) == 1 and history[0].viewers_peak == 3 and history[0].requests == 10


def test_health_and_node(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/node").json()["role"] == "metrics"


def control(
    client: TestClient, identity: NodeIdentity, body: bytes, *, token: str = ""
) -> httpx2.Response:
    return client.post(CONTROL, content=body, headers=signed(identity, body, token=token))


def test_stream_state_exported_as_gauges(client: TestClient, known: NodeIdentity) -> None:
    r = control(client, known, control_body(known, 1, "live", generation=3))
    assert (r.status_code, r.json()) == (202, {"accepted": True, "resource": "stream_state"})
    assert metric(client, "sender_stream_live", endpoint="x") == 1
    assert metric(client, "sender_stream_generation", endpoint="x") == 3
    assert control(client, known, control_body(known, 2, "waiting_source")).status_code == 202
    assert metric(client, "sender_stream_live", endpoint="x") == 0
    assert metric(client, "sender_stream_generation", endpoint="x") == 1
    assert metric(client, "sender_metrics_control_total", resource="stream_state") == 2


def test_control_has_its_own_sequence_and_the_batch_rules(
    client: TestClient, known: NodeIdentity
) -> None:
    # a batch numbered 5 does not make control message 1 a replay: the lanes are independent
    assert post(client, known, batch_body(known, 5)).status_code == 202
    first = control_body(known, 1)
    assert control(client, known, first).status_code == 202
    assert control(client, known, first).status_code == 409
    assert post(client, known, batch_body(known, 6)).status_code == 202
    stranger = node()
    assert control(client, stranger, control_body(stranger, 1)).status_code == 401
    assert control(client, stranger, control_body(stranger, 2), token=TOKEN).status_code == 202
    forged = control_body(known, 7)
    headers = signed(known, forged, signer=stranger)
    assert client.post(CONTROL, content=forged, headers=headers).status_code == 401
    rejected = "sender_metrics_control_rejected_total"
    assert metric(client, rejected, reason="replay") == 1
    assert metric(client, rejected, reason="unknown_node") == 1
    assert metric(client, rejected, reason="bad_signature") == 1


@pytest.mark.parametrize(
    ("resource", "state", "endpoint"),
    [
        ("no_such_thing", "live", "x"),
        ("stream_state", "dancing", "x"),
        ("stream_state", "live", "Bad!"),
    ],
)
def test_invalid_control_is_422(
    client: TestClient, known: NodeIdentity, resource: str, state: str, endpoint: str
) -> None:
    body = control_body(known, 1, state, endpoint=endpoint, resource=resource)
    assert control(client, known, body).status_code == 422
    assert metric(client, "sender_metrics_control_rejected_total", reason="invalid") == 1
    assert control(client, known, control_body(known, 1)).status_code == 202  # seq not used up


def test_an_older_state_does_not_win(client: TestClient, known: NodeIdentity) -> None:
    assert control(client, known, control_body(known, 1, "live", at=2_000.0)).status_code == 202
    late = control_body(known, 2, "stopped", at=1_000.0)  # e.g. from another origin, late
    assert control(client, known, late).status_code == 202
    assert metric(client, "sender_stream_live", endpoint="x") == 1


def test_stream_labels_capped(tmp_path: Path, known: NodeIdentity) -> None:
    settings = MetricsSettings(
        data_dir=tmp_path, metrics_node_keys=[known.public_key], endpoint_label_limit=1
    )
    with TestClient(create_app(settings)) as c:
        for i, ep in enumerate(("a", "b", "c"), start=1):
            body = control_body(known, i, "live", endpoint=ep, generation=i)
            assert control(c, known, body).status_code == 202
        assert metric(c, "sender_stream_live", endpoint="a") == 1
        assert metric(c, "sender_stream_live", endpoint="other") == 2
        assert metric(c, "sender_stream_generation", endpoint="other") == 3
        assert 'endpoint="b"' not in c.get("/metrics").text


def test_replay_refused_after_restart(settings: MetricsSettings, known: NodeIdentity) -> None:
    batch, message = batch_body(known, 3), control_body(known, 2)
    with TestClient(create_app(settings)) as c:
        assert post(c, known, batch).status_code == 202
        assert control(c, known, message).status_code == 202
    with TestClient(create_app(settings)) as c:
        assert post(c, known, batch).status_code == 409
        assert control(c, known, message).status_code == 409
        assert post(c, known, batch_body(known, 4)).status_code == 202
        later_boot = batch_body(known, 1, boot_id="boot-bbbbbbbb", boot_at=2_000.0)
        assert post(c, known, later_boot).status_code == 202
    with TestClient(create_app(settings)) as c:
        assert post(c, known, batch_body(known, 9)).status_code == 409  # the earlier boot
