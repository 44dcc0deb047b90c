"""Whether an origin endpoint's stream is wanted (its `origin` media session row)."""

from __future__ import annotations

from sqlmodel import Session

from sender_common import media_sessions
from sender_common.models import Endpoint, SessionMode


def desired(session: Session, *, endpoint: Endpoint) -> bool:
    """Is the stream wanted: an explicit start/stop wins, else the endpoint's auto_start."""
    row = media_sessions.find(session, slug=endpoint.slug, mode=SessionMode.origin)
    return row.desired if row is not None else endpoint.auto_start


def set_desired(session: Session, *, slug: str, desired: bool) -> None:
    """Record an explicit start (True) or stop (False); it survives a restart."""
    media_sessions.upsert(session, slug=slug, mode=SessionMode.origin, desired=desired)
