"""Schema-driven fuzzing of every role's HTTP API, in-process over ASGI.

Each role's app is built with `create_app(Settings(...))` and its OpenAPI schema drives
schemathesis: generated requests (valid and invalid) must never get a 5xx, and every
documented response must match its schema. Bounded: a fixed number of examples per operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import response_schema_conformance

from sender_edge.main import create_app as create_edge
from sender_edge.settings import EdgeSettings
from sender_metrics.main import create_app as create_metrics
from sender_metrics.settings import MetricsSettings
from sender_origin.main import create_app as create_origin
from sender_origin.settings import OriginSettings
from tests.procs import free_port

# deeper local runs: SENDER_FUZZ_EXAMPLES=500
EXAMPLES = int(os.environ.get("SENDER_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _schema(app: FastAPI) -> Iterator[schemathesis.BaseSchema]:
    # The loader starts the app's lifespan once and keeps it for every generated call.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield schema
    finally:
        shutdown_lifespans()


@pytest.fixture(scope="module")
def origin_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("origin")
    app = create_origin(OriginSettings(data_dir=data_dir, rtmp_port=free_port(), log_level="ERROR"))
    yield from _schema(app)


@pytest.fixture(scope="module")
def edge_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("edge")
    # An upstream nobody listens on: sessions are accepted and stay waiting for their source.
    upstream = f"http://127.0.0.1:{free_port()}"
    app = create_edge(
        EdgeSettings(
            data_dir=data_dir, upstream_url=upstream, upstream_timeout=0.5, log_level="ERROR"
        )
    )
    yield from _schema(app)


@pytest.fixture(scope="module")
def metrics_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("metrics")
    yield from _schema(create_metrics(MetricsSettings(data_dir=data_dir, log_level="ERROR")))


def _fuzz(schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    """Valid and invalid requests for every operation; each operation is its own subtest."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @FUZZ
        @given(case=cases)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        with subtests.test(msg=operation.label):
            run()


def test_origin_api(origin_schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    _fuzz(origin_schema, subtests)


def test_edge_api(edge_schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    _fuzz(edge_schema, subtests)


def test_metrics_api(metrics_schema: schemathesis.BaseSchema, subtests: pytest.Subtests) -> None:
    _fuzz(metrics_schema, subtests)
