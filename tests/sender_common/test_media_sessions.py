"""The media session upsert: writers racing on one (endpoint, mode) leave one row holding the
last writer's values, on SQLite and on PostgreSQL (a throwaway server from e2e/pg.py)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from e2e.conftest import postgres  # noqa: F401  (the throwaway PostgreSQL server)
from e2e.pg import Postgres
from sender_common import media_sessions
from sender_common.database import create_db_engine, init_schema
from sender_common.models import MediaSession, SessionMode
from sender_common.settings import CommonSettings
from tests.waiting import wait_for

SLUG = "cam"
WRITERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = None
    if request.param == "postgresql":
        pg: Postgres = request.getfixturevalue("postgres")
        url = pg.create_database(f"sessions_{uuid.uuid4().hex[:12]}")
    engine = create_db_engine(CommonSettings(data_dir=tmp_path, database_url=url))
    init_schema(engine)
    yield engine
    engine.dispose()


def rows(engine: Engine) -> list[MediaSession]:
    with Session(engine) as s:
        return list(s.exec(select(MediaSession).where(MediaSession.endpoint_slug == SLUG)).all())


def upsert(engine: Engine, *, desired: bool, options: dict[str, int] | None = None) -> None:
    with Session(engine) as s:
        media_sessions.upsert(
            s, slug=SLUG, mode=SessionMode.hls_edge, desired=desired, options=options
        )


def wait_for_lock_waiter(engine: Engine) -> None:
    """PostgreSQL: until a backend waits on a lock (the second writer is blocked)."""
    if engine.dialect.name != "postgresql":
        return  # SQLite has no view of its waiters; the writer blocks on the database lock

    def waiting() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                ).scalar_one()
            )

    wait_for(waiting, 10, "the second writer waiting on the first one's row", interval=0.02)


def test_a_writer_blocked_by_an_uncommitted_insert_updates_that_row(engine: Engine) -> None:
    """The case the old read-then-insert retried on: another process inserts the row first."""
    with Session(engine) as first:
        first.add(MediaSession(endpoint_slug=SLUG, mode=SessionMode.hls_edge, options={"w": 1}))
        first.flush()  # the row exists, uncommitted: the second writer must wait for it
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(upsert, engine, desired=False, options={"w": 2})
            wait_for_lock_waiter(engine)
            first.commit()
            second.result(timeout=30)
    (row,) = rows(engine)
    assert (row.desired, row.options) == (False, {"w": 2})


def test_concurrent_upserts_leave_one_row_with_the_last_values(engine: Engine) -> None:
    start = threading.Barrier(WRITERS)

    def write(n: int) -> None:
        start.wait(timeout=10)
        upsert(engine, desired=n % 2 == 0, options={"w": n})

    with ThreadPoolExecutor(WRITERS) as pool:
        for done in [pool.submit(write, n) for n in range(WRITERS)]:
            done.result(timeout=30)  # no writer saw a unique-constraint error
    (row,) = rows(engine)
    n = row.options["w"]
    assert row.desired is (n % 2 == 0)  # one writer's values, not a mix of two
    upsert(engine, desired=n % 2 != 0, options={"w": 99})
    (row,) = rows(engine)
    assert (row.desired, row.options) == (n % 2 != 0, {"w": 99})


def test_options_none_keeps_stored_options_and_update_only_needs_a_row(engine: Engine) -> None:
    with Session(engine) as s:
        assert not media_sessions.set_desired(s, slug=SLUG, mode=SessionMode.hls_edge, desired=True)
    assert rows(engine) == []
    upsert(engine, desired=True, options={"w": 1})
    (before,) = rows(engine)
    upsert(engine, desired=False)
    (row,) = rows(engine)
    assert (row.desired, row.options) == (False, {"w": 1})
    assert row.created_at == before.created_at
    assert row.updated_at >= before.updated_at
    with Session(engine) as s:
        assert media_sessions.set_desired(s, slug=SLUG, mode=SessionMode.hls_edge, desired=True)
    assert rows(engine)[0].desired is True
