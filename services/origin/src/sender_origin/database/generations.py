"""Generations of an endpoint (one per publish, or per reconnect after the grace period) and
the renditions each one carries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from sender_common.models import (
    Endpoint,
    Generation,
    GenerationPublic,
    GenerationState,
    Rendition,
    RenditionSpec,
    utcnow,
)

NUMBER_TRIES = 10


def open_generation(session: Session, *, endpoint_id: int, renditions: list[RenditionSpec]) -> int:
    """A new generation number for the endpoint (safe when several origins share the DB)."""
    delivery = "passthrough" if [r.height for r in renditions] == [None] else "ladder"
    for _ in range(NUMBER_TRIES):
        last = session.exec(
            select(func.max(Generation.number)).where(Generation.endpoint_id == endpoint_id)
        ).one()
        number = int(last or 0) + 1
        gen = Generation(endpoint_id=endpoint_id, number=number, delivery=delivery)
        session.add(gen)
        try:
            session.flush()
            assert gen.id is not None
            for r in renditions:
                session.add(Rendition(generation_id=gen.id, name=r.name, height=r.height))
            session.commit()
            return number
        except IntegrityError:  # another origin took the number: take the next one
            session.rollback()
    raise RuntimeError("could not allocate a generation number")


def close_generation(session: Session, *, endpoint_id: int, number: int) -> None:
    gen = session.exec(
        select(Generation).where(Generation.endpoint_id == endpoint_id, Generation.number == number)
    ).first()
    if gen is not None and gen.state != GenerationState.ended:
        _end(session, gen)
        session.commit()


def close_stale_generations(session: Session) -> int:
    """At startup: generations left `live` by a previous process are over."""
    rows = session.exec(select(Generation).where(Generation.state == GenerationState.live)).all()
    for gen in rows:
        _end(session, gen)
    session.commit()
    return len(rows)


def _end(session: Session, gen: Generation) -> None:
    gen.state = GenerationState.ended
    gen.stopped_at = utcnow()
    session.add(gen)


def latest_generation(session: Session, *, endpoint_id: int) -> Generation | None:
    return session.exec(
        select(Generation)
        .where(Generation.endpoint_id == endpoint_id)
        .order_by(col(Generation.number).desc())
    ).first()


def list_generations(session: Session, *, endpoint_id: int, limit: int) -> list[GenerationPublic]:
    """The endpoint's generations, newest first."""
    gens = session.exec(
        select(Generation)
        .where(Generation.endpoint_id == endpoint_id)
        .order_by(col(Generation.number).desc())
        .limit(limit)
    ).all()
    return [
        GenerationPublic.model_validate({**gen.model_dump(), "renditions": names})
        for gen, names in with_rendition_names(session, gens)
    ]


def kept_generations_of(
    session: Session, *, endpoint_id: int
) -> list[tuple[Generation, list[str]]]:
    """The endpoint's generations whose spool is still there, oldest first, with their
    rendition names."""
    gens = session.exec(
        select(Generation)
        .where(Generation.endpoint_id == endpoint_id)
        .where(Generation.spool_removed == False)  # noqa: E712
        .order_by(col(Generation.number))
    ).all()
    return with_rendition_names(session, gens)


def kept_generation(session: Session, *, endpoint_id: int, number: int) -> Generation | None:
    """Generation `number` of the endpoint, if its spool is still there."""
    return session.exec(
        select(Generation)
        .where(Generation.endpoint_id == endpoint_id, Generation.number == number)
        .where(Generation.spool_removed == False)  # noqa: E712
    ).first()


def with_rendition_names(
    session: Session, gens: Sequence[Generation]
) -> list[tuple[Generation, list[str]]]:
    """Each generation with its rendition names (in the order they were added), one query."""
    ids = [gen.id for gen in gens if gen.id is not None]
    names: dict[int, list[str]] = {gid: [] for gid in ids}
    if ids:
        rows = session.exec(
            select(Rendition.generation_id, Rendition.name)
            .where(col(Rendition.generation_id).in_(ids))
            .order_by(col(Rendition.id))
        ).all()
        for gid, name in rows:
            names[gid].append(name)
    return [(gen, names.get(gen.id, []) if gen.id is not None else []) for gen in gens]


def kept_generations(session: Session) -> list[tuple[str, int, int, bool]]:
    """(slug, number, id, ended) of every generation with spool, oldest first."""
    rows = session.exec(
        select(Endpoint.slug, Generation.number, Generation.id, Generation.state)
        .join(Endpoint, col(Endpoint.id) == col(Generation.endpoint_id))
        .where(Generation.spool_removed == False)  # noqa: E712
        .order_by(col(Generation.started_at))
    ).all()
    return [(slug, n, gid or 0, state == GenerationState.ended) for slug, n, gid, state in rows]


def expired_generations(
    session: Session, *, retention_seconds: float
) -> list[tuple[str, int, int]]:
    """(slug, number, generation id) of ended generations past retention with spool left."""
    cutoff = utcnow() - timedelta(seconds=retention_seconds)
    rows = session.exec(
        select(Endpoint.slug, Generation.number, Generation.id)
        .join(Endpoint, col(Endpoint.id) == col(Generation.endpoint_id))
        .where(Generation.state == GenerationState.ended)
        .where(Generation.spool_removed == False)  # noqa: E712
        .where(col(Generation.stopped_at) < cutoff)
    ).all()
    return [(slug, num, gid) for slug, num, gid in rows if gid is not None]


def mark_spool_removed(session: Session, *, generation_id: int) -> None:
    gen = session.get(Generation, generation_id)
    if gen is not None:
        gen.spool_removed = True
        session.add(gen)
        session.commit()


def delete_generations(session: Session, *, endpoint_id: int) -> None:
    """Every generation of the endpoint and its renditions; the caller commits."""
    gens = select(Generation.id).where(Generation.endpoint_id == endpoint_id)
    session.exec(delete(Rendition).where(col(Rendition.generation_id).in_(gens)))
    session.exec(delete(Generation).where(col(Generation.endpoint_id) == endpoint_id))
