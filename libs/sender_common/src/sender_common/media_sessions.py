"""Media session rows (sync; keyword-only, session first): one per endpoint and mode.

Several processes may share the database (origin replicas, edges), so the row is written with
one `INSERT ... ON CONFLICT (endpoint_slug, mode) DO UPDATE`: the last writer's values win and
no writer sees a unique-constraint error.
"""

from __future__ import annotations

__all__ = ["delete", "find", "set_desired", "upsert"]

from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, col, select
from sqlmodel import delete as delete_rows

from sender_common.errors import ConfigurationError
from sender_common.models import MediaSession, SessionMode, utcnow

CONFLICT_KEY = ["endpoint_slug", "mode"]


def find(session: Session, *, slug: str, mode: SessionMode) -> MediaSession | None:
    return session.exec(
        select(MediaSession).where(MediaSession.endpoint_slug == slug, MediaSession.mode == mode)
    ).first()


def upsert(
    session: Session,
    *,
    slug: str,
    mode: SessionMode,
    desired: bool,
    options: dict[str, Any] | None = None,
) -> None:
    """Create or update the row; `options=None` keeps the stored ones (a new row has none)."""
    now = utcnow()
    values = {
        "endpoint_slug": slug,
        "mode": mode,
        "desired": desired,
        "options": options or {},
        "created_at": now,
        "updated_at": now,
    }
    changed = ["desired", "updated_at"] if options is None else ["desired", "options", "updated_at"]
    session.execute(_upsert_statement(session, values, changed))
    session.commit()


def _upsert_statement(session: Session, values: dict[str, Any], changed: list[str]) -> Insert:
    """The dialect's own `ON CONFLICT DO UPDATE` (SQLite 3.24+ and PostgreSQL spell it alike)."""
    dialect = session.get_bind().dialect.name
    # each dialect's module is loaded with its engine: imported here, not by every role
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(MediaSession).values(**values)
        return pg.on_conflict_do_update(
            index_elements=CONFLICT_KEY, set_={c: pg.excluded[c] for c in changed}
        )
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        lite = sqlite.insert(MediaSession).values(**values)
        return lite.on_conflict_do_update(
            index_elements=CONFLICT_KEY, set_={c: lite.excluded[c] for c in changed}
        )
    raise ConfigurationError(
        f"SENDER_DATABASE_URL: the {dialect!r} database is not supported (SQLite or PostgreSQL)"
    )


def set_desired(session: Session, *, slug: str, mode: SessionMode, desired: bool) -> bool:
    """Update an existing row only; False when there is none."""
    result = session.execute(
        update(MediaSession)
        .where(col(MediaSession.endpoint_slug) == slug, col(MediaSession.mode) == mode)
        .values(desired=desired, updated_at=utcnow())
    )
    session.commit()
    return bool(cast("CursorResult[Any]", result).rowcount)


def delete(session: Session, *, slug: str, mode: SessionMode | None = None) -> None:
    """Forget the endpoint's rows (of one mode, or all); the caller commits."""
    stmt = delete_rows(MediaSession).where(col(MediaSession.endpoint_slug) == slug)
    if mode is not None:
        stmt = stmt.where(col(MediaSession.mode) == mode)
    session.exec(stmt)
