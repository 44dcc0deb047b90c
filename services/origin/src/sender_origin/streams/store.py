"""Database work for the origin's streams (sync; call through asyncio.to_thread)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sender_common.models import (
    Endpoint,
    EndpointType,
    Generation,
    GenerationState,
    MediaSession,
    Rendition,
    RenditionSpec,
    SessionMode,
    utcnow,
)
from sender_common.stream_keys import hash_stream_key


def endpoint_by_key(engine: Engine, key: str) -> Endpoint | None:
    if not key or len(key) > 200:
        return None
    with Session(engine) as s:
        return s.exec(
            select(Endpoint).where(
                Endpoint.key_hash == hash_stream_key(key), Endpoint.type == EndpointType.origin
            )
        ).first()


def endpoint_by_slug(engine: Engine, slug: str) -> Endpoint | None:
    with Session(engine) as s:
        return s.exec(select(Endpoint).where(Endpoint.slug == slug)).first()


def desired(engine: Engine, endpoint: Endpoint) -> bool:
    """Is the session wanted: explicit start/stop wins, else the endpoint's auto_start."""
    with Session(engine) as s:
        row = s.exec(
            select(MediaSession).where(
                MediaSession.endpoint_slug == endpoint.slug, MediaSession.mode == SessionMode.origin
            )
        ).first()
        return row.desired if row is not None else endpoint.auto_start


def set_desired(engine: Engine, slug: str, want: bool) -> None:
    for _ in range(3):
        with Session(engine) as s:
            row = s.exec(
                select(MediaSession).where(
                    MediaSession.endpoint_slug == slug, MediaSession.mode == SessionMode.origin
                )
            ).first()
            if row is None:
                row = MediaSession(endpoint_slug=slug, mode=SessionMode.origin, desired=want)
            else:
                row.desired = want
                row.updated_at = utcnow()
            s.add(row)
            try:
                s.commit()
                return
            except IntegrityError:
                s.rollback()


def set_key_blocked(engine: Engine, slug: str, blocked: bool) -> None:
    with Session(engine) as s:
        endpoint = s.exec(select(Endpoint).where(Endpoint.slug == slug)).first()
        if endpoint is not None:
            endpoint.key_blocked = blocked
            s.add(endpoint)
            s.commit()


def open_generation(engine: Engine, endpoint_id: int, renditions: list[RenditionSpec]) -> int:
    """A new generation number for the endpoint (safe when several origins share the DB)."""
    delivery = "passthrough" if [r.height for r in renditions] == [None] else "ladder"
    for _ in range(10):
        with Session(engine) as s:
            last = s.exec(
                select(func.max(Generation.number)).where(Generation.endpoint_id == endpoint_id)
            ).one()
            number = int(last or 0) + 1
            gen = Generation(endpoint_id=endpoint_id, number=number, delivery=delivery)
            s.add(gen)
            try:
                s.flush()
                assert gen.id is not None
                for r in renditions:
                    s.add(Rendition(generation_id=gen.id, name=r.name, height=r.height))
                s.commit()
                return number
            except IntegrityError:
                s.rollback()
    raise RuntimeError("could not allocate a generation number")


def close_generation(engine: Engine, endpoint_id: int, number: int) -> None:
    with Session(engine) as s:
        gen = s.exec(
            select(Generation).where(
                Generation.endpoint_id == endpoint_id, Generation.number == number
            )
        ).first()
        if gen is not None and gen.state != GenerationState.ended:
            gen.state = GenerationState.ended
            gen.stopped_at = utcnow()
            s.add(gen)
            s.commit()


def close_stale_generations(engine: Engine) -> int:
    """At startup: generations left `live` by a previous process are over."""
    with Session(engine) as s:
        rows = s.exec(select(Generation).where(Generation.state == GenerationState.live)).all()
        for gen in rows:
            gen.state = GenerationState.ended
            gen.stopped_at = utcnow()
            s.add(gen)
        s.commit()
        return len(rows)


def latest_generation(engine: Engine, endpoint_id: int) -> Generation | None:
    with Session(engine) as s:
        return s.exec(
            select(Generation)
            .where(Generation.endpoint_id == endpoint_id)
            .order_by(Generation.number.desc())  # type: ignore[attr-defined]
        ).first()


def expired_generations(engine: Engine, retention_seconds: float) -> list[tuple[str, int, int]]:
    """(slug, number, generation id) of ended generations past retention with spool left."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=retention_seconds)
    with Session(engine) as s:
        rows = s.exec(
            select(Endpoint.slug, Generation.number, Generation.id)
            .join(Endpoint, Endpoint.id == Generation.endpoint_id)  # type: ignore[arg-type]
            .where(Generation.state == GenerationState.ended)
            .where(Generation.spool_removed == False)  # noqa: E712
            .where(Generation.stopped_at < cutoff)  # type: ignore[operator]
        ).all()
        return [(slug, num, gid) for slug, num, gid in rows if gid is not None]


def mark_spool_removed(engine: Engine, generation_id: int) -> None:
    with Session(engine) as s:
        gen = s.get(Generation, generation_id)
        if gen is not None:
            gen.spool_removed = True
            s.add(gen)
            s.commit()
