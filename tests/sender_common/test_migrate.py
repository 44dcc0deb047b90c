"""An older database gains the columns added since, with their defaults, and keeps its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlmodel import Session, select

from sender_common.database import create_db_engine, init_schema
from sender_common.models import Endpoint
from sender_common.settings import CommonSettings


def test_old_endpoint_table_is_upgraded_in_place(tmp_path: Path) -> None:
    db = tmp_path / "sender.db"
    con = sqlite3.connect(db)
    con.execute(  # the endpoint table as an early version had it: no offline_slate column
        "CREATE TABLE endpoint (id INTEGER PRIMARY KEY, slug VARCHAR(63) NOT NULL UNIQUE, "
        "type VARCHAR(6) NOT NULL, title VARCHAR(200) NOT NULL, source_url VARCHAR(2000), "
        "auto_start BOOLEAN NOT NULL, key_hash VARCHAR(64), key_blocked BOOLEAN NOT NULL, "
        "renditions JSON, created_at DATETIME NOT NULL)"
    )
    con.execute(
        "INSERT INTO endpoint VALUES (1, 'old', 'origin', '', NULL, 1, NULL, 0, '[]', "
        "'2026-01-01 00:00:00')"
    )
    con.commit()
    con.close()
    engine = create_db_engine(CommonSettings(data_dir=tmp_path))
    init_schema(engine)
    init_schema(engine)  # idempotent
    with Session(engine) as s:
        old = s.exec(select(Endpoint).where(Endpoint.slug == "old")).one()
        assert old.offline_slate is False
