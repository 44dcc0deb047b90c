"""Database engine: embedded SQLite by default, any SQLAlchemy URL via SENDER_DATABASE_URL."""

from __future__ import annotations

__all__ = ["create_db_engine", "database_ready", "init_schema"]

import logging
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine

from sender_common.database.migrate import add_missing_columns
from sender_common.settings import CommonSettings

log = logging.getLogger(__name__)


def create_db_engine(settings: CommonSettings) -> Engine:
    """An engine for the configured database; SQLite gets WAL and a busy timeout."""
    url = settings.effective_database_url()
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_schema(engine: Engine) -> None:
    """Create missing tables and add missing columns (idempotent; several processes may race
    at startup: a losing ALTER fails harmlessly and the next start sees the column)."""
    import sender_common.models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine, SQLModel.metadata)


def database_ready(engine: Engine) -> bool:
    """True when a trivial query succeeds."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        log.debug("database not ready: %s", exc)
        return False
    return True
