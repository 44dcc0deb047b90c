"""Fixtures: a started cluster per test module, and one PostgreSQL server for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from e2e.harness import Cluster
from e2e.pg import Postgres, find_pg_bin


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (scripts/install-system-deps)")
    pg = Postgres(bin_dir)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()


# The container scenarios need images built by `make images`; they run with
# `make e2e-containers`, not with the default suite.
collect_ignore = [] if os.environ.get("SENDER_E2E_CONTAINERS") else ["containers"]
