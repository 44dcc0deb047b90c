"""Database work for edge sessions (sync; call through asyncio.to_thread)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from sender_common import media_sessions
from sender_common.models import MediaSession, SessionMode


@dataclass(frozen=True, slots=True)
class StoredSession:
    slug: str
    desired: bool
    options: dict[str, Any]


def load_sessions(engine: Engine) -> list[StoredSession]:
    """Every hls_edge session row, wanted or not."""
    with Session(engine) as s:
        rows = s.exec(select(MediaSession).where(MediaSession.mode == SessionMode.hls_edge)).all()
        return [StoredSession(r.endpoint_slug, r.desired, dict(r.options or {})) for r in rows]


def save_session(
    engine: Engine, *, slug: str, desired: bool, options: dict[str, Any] | None = None
) -> bool:
    """Upsert a session row; `options=None` keeps the stored ones. False: no row to update."""
    with Session(engine) as s:
        if options is None:
            return media_sessions.set_desired(
                s, slug=slug, mode=SessionMode.hls_edge, desired=desired
            )
        media_sessions.upsert(
            s, slug=slug, mode=SessionMode.hls_edge, desired=desired, options=options
        )
        return True


def delete_session(engine: Engine, *, slug: str) -> None:
    """Forget a session entirely (an idle on-demand mirror: a later viewer may start it again)."""
    with Session(engine) as s:
        row = s.exec(
            select(MediaSession).where(
                MediaSession.endpoint_slug == slug, MediaSession.mode == SessionMode.hls_edge
            )
        ).first()
        if row is not None:
            s.delete(row)
            s.commit()
