"""Schema-driven fuzzing of every role's HTTP API, in-process over ASGI.

Each role's app is built with `create_app(Settings(...))` and its OpenAPI schema drives
schemathesis: generated requests (valid and invalid) must never get a 5xx, and every
documented response must match its schema. Each role is fuzzed with valid credentials (the
API token; for the metrics role's ingest, messages signed by a registered node key) so that
bodies reach parsing and storage, and once more without any. Bounded:
SENDER_FUZZ_EXAMPLES per operation with credentials (default 100), SENDER_FUZZ_ANON_EXAMPLES
without (default 20).
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import response_schema_conformance

from sender_common.models import SessionState
from sender_common.node import NodeIdentity
from sender_common.viewers.batch import (
    CONTROL_PATH,
    INGEST_PATH,
    NODE_HEADER,
    SIGNATURE_HEADER,
    VIEWER_KEY_PATTERN,
)
from sender_edge.main import create_app as create_edge
from sender_edge.settings import EdgeSettings
from sender_metrics.main import create_app as create_metrics
from sender_metrics.settings import MetricsSettings
from sender_origin.main import create_app as create_origin
from sender_origin.settings import OriginSettings
from tests.procs import free_port

# deeper local runs: SENDER_FUZZ_EXAMPLES=500
EXAMPLES = int(os.environ.get("SENDER_FUZZ_EXAMPLES", "100"))
ANON_EXAMPLES = int(os.environ.get("SENDER_FUZZ_ANON_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance]
TOKEN = "fuzz-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NODE = NodeIdentity(Ed25519PrivateKey.generate())  # registered with the metrics role


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


async def no_dns(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Generated upstream names are never looked up (tests stay on loopback)."""
    del port
    raise OSError(f"{host}: not resolved in tests")


def _schema(app: FastAPI) -> Iterator[schemathesis.BaseSchema]:
    # The loader starts the app's lifespan once and keeps it for every generated call.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield schema
    finally:
        shutdown_lifespans()


def metrics_settings(data_dir: Path) -> MetricsSettings:
    return MetricsSettings(
        data_dir=data_dir, api_token=TOKEN, metrics_node_keys=[NODE.public_key], log_level="ERROR"
    )


@pytest.fixture(scope="module")
def origin_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("origin")
    settings = OriginSettings(
        data_dir=data_dir, rtmp_port=free_port(), api_token=TOKEN, log_level="ERROR"
    )
    yield from _schema(create_origin(settings))


@pytest.fixture(scope="module")
def edge_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("edge")
    # An upstream nobody listens on: sessions are accepted and stay waiting for their source.
    upstream = f"http://127.0.0.1:{free_port()}"
    settings = EdgeSettings(
        data_dir=data_dir,
        upstream_url=upstream,
        upstream_timeout=0.5,
        api_token=TOKEN,
        log_level="ERROR",
    )
    yield from _schema(create_edge(settings, resolver=no_dns))


@pytest.fixture(scope="module")
def metrics_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("metrics")
    yield from _schema(create_metrics(metrics_settings(data_dir)))


def _fuzz(
    schema: schemathesis.BaseSchema,
    subtests: pytest.Subtests,
    *,
    examples: int = EXAMPLES,
    headers: dict[str, str] | None = None,
) -> None:
    """Valid and invalid requests for every operation; each operation is its own subtest."""
    results = list(schema.get_all_operations())
    invalid = [result.err() for result in results if isinstance(result, Err)]
    assert not invalid, invalid
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert operations
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @fuzz_settings(examples)
        @given(case=cases)
        def run(case: schemathesis.Case[APIOperation[Any, Any, Any, Any]]) -> None:
            response = case.call_and_validate(checks=CHECKS, headers=headers)
            if response.status_code == 401:
                assert "detail" in response.json()

        with subtests.test(msg=operation.label):
            run()


def test_origin_api(origin_schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    _fuzz(origin_schema, subtests, headers=AUTH)


def test_edge_api(edge_schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    _fuzz(edge_schema, subtests, headers=AUTH)


def test_metrics_api(metrics_schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    _fuzz(metrics_schema, subtests, headers=AUTH)


@pytest.mark.parametrize("role", ["origin", "edge", "metrics"])
def test_without_credentials(
    role: str, request: pytest.FixtureRequest, subtests: pytest.Subtests
) -> None:
    schema: schemathesis.BaseSchema = request.getfixturevalue(f"{role}_schema")
    _fuzz(schema, subtests, examples=ANON_EXAMPLES)


# -- the metrics role's ingest: signed by a registered node, so bodies reach storage ----------

SLUGS = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
EDGES = st.sampled_from([0, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -1, 2**64, 2**70])
NUMBERS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**70), 2**70) | EDGES


def corrupted(
    valid: st.SearchStrategy[dict[str, Any]], odds: int = 16
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid messages (with extreme values), about half with one field replaced by junk:
    most get through parsing to admission, sequencing and storage."""

    def spoil(parts: tuple[dict[str, Any], int, Any]) -> dict[str, Any]:
        message, index, junk = parts
        keys = sorted(message)
        if index < len(keys):
            message = {**message, keys[index]: junk}
        return message

    return st.tuples(valid, st.integers(0, odds - 1), JUNK).map(spoil)


VIEWER = st.fixed_dictionaries(
    {
        "endpoint": SLUGS,
        "vsid_or_ip_hash": st.from_regex(VIEWER_KEY_PATTERN, fullmatch=True),
        "last_seen": NUMBERS,
    }
)
COUNTER = st.fixed_dictionaries(
    {"endpoint": SLUGS},
    optional={k: st.integers(0, 2**64) | EDGES for k in ("requests", "bytes", "heartbeats")},
)
ENVELOPE = {
    "role": st.sampled_from(["origin", "edge"]),
    "boot_id": st.from_regex(r"[A-Za-z0-9_-]{8,20}", fullmatch=True),
    "boot_at": st.none() | NUMBERS,  # None: now (a later boot than the last)
    "seq": EDGES | st.integers(0, 2**40),
    "sent_at": st.sampled_from([None, None, None, 0.0, -1.0, 1e300]),  # None: now
}
BATCH = corrupted(
    st.fixed_dictionaries(
        {
            **ENVELOPE,
            "viewers": st.lists(corrupted(VIEWER, 60), max_size=4),
            "counters": st.lists(corrupted(COUNTER, 60), max_size=3),
        }
    )
)
STATE = st.fixed_dictionaries(
    {
        "endpoint": SLUGS,
        "generation": st.none() | EDGES | st.integers(-1, 2**70),
        "generation_open": st.booleans(),
        "state": st.sampled_from([s.value for s in SessionState]),
        "at": NUMBERS,
    }
)
CONTROL = corrupted(
    st.fixed_dictionaries(
        {**ENVELOPE, "resource": st.just("stream_state"), "payload": corrupted(STATE)}
    )
)


def _signed_post(client: TestClient, path: str, message: dict[str, Any]) -> int:
    message = {**message, "node_id": NODE.node_id, "public_key": NODE.public_key}
    for stamp in ("sent_at", "boot_at"):
        if stamp in message and message[stamp] is None:
            message[stamp] = time.time()
    body = json.dumps(message).encode()
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: NODE.sign(body),
        NODE_HEADER: NODE.node_id,
    }
    r = client.post(path, content=body, headers=headers)
    assert r.status_code < 500, r.text
    assert r.status_code != 401, r.text  # the registered key is admitted
    data = r.json()
    assert ("detail" in data) if r.status_code >= 400 else (r.status_code == 202)
    return r.status_code


def test_metrics_ingest_signed(tmp_path: Path) -> None:
    accepted = {INGEST_PATH: 0, CONTROL_PATH: 0}
    with TestClient(create_metrics(metrics_settings(tmp_path))) as client:

        @fuzz_settings(EXAMPLES)
        @given(message=BATCH)
        def batches(message: dict[str, Any]) -> None:
            if _signed_post(client, INGEST_PATH, message) == 202:
                accepted[INGEST_PATH] += 1

        @fuzz_settings(EXAMPLES)
        @given(message=CONTROL)
        def control(message: dict[str, Any]) -> None:
            if _signed_post(client, CONTROL_PATH, message) == 202:
                accepted[CONTROL_PATH] += 1

        batches()
        control()
    # signed messages got through parsing, admission and sequencing into the stores
    assert accepted[INGEST_PATH] > 0 and accepted[CONTROL_PATH] > 0, accepted
