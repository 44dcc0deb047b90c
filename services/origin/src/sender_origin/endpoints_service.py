"""Endpoint CRUD and key rotation (sync; keyword-only, session first)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from sender_common.errors import ConflictError, NotFoundError
from sender_common.models import (
    Endpoint,
    EndpointCreate,
    EndpointPublic,
    EndpointType,
    EndpointUpdate,
    EndpointWithKey,
    Generation,
    MediaSession,
    Rendition,
)
from sender_common.stream_keys import generate_stream_key, hash_stream_key

SrtUrl = Callable[[str, str | None], str]
"""(stream key, passphrase) -> the SRT publish URL."""
KEY_PLACEHOLDER = "{stream_key}"


def to_public(endpoint: Endpoint, srt_url: SrtUrl | None = None) -> EndpointPublic:
    """The endpoint as shown; an origin's SRT URL has a placeholder where the key goes."""
    public = EndpointPublic.model_validate(endpoint, from_attributes=True)
    public.encrypted = bool(endpoint.passphrase)
    if srt_url is not None and endpoint.type == EndpointType.origin:
        public.srt_url = srt_url(KEY_PLACEHOLDER, None)
    return public


def with_key(
    endpoint: Endpoint, key: str, publish_base: str, srt_url: SrtUrl | None = None
) -> EndpointWithKey:
    data = to_public(endpoint).model_dump()
    if srt_url is not None and endpoint.type == EndpointType.origin:
        data["srt_url"] = srt_url(key, endpoint.passphrase)
    return EndpointWithKey(**data, stream_key=key, publish_url=f"{publish_base}/{key}")


def create_endpoint(
    session: Session, *, data: EndpointCreate, publish_base: str, srt_url: SrtUrl | None = None
) -> EndpointWithKey:
    key = generate_stream_key()
    endpoint = Endpoint(
        slug=data.slug,
        type=data.type,
        title=data.title,
        source_url=data.source_url,
        auto_start=data.auto_start,
        offline_slate=data.offline_slate,
        dvr_window_seconds=data.dvr_window_seconds,
        record=data.record,
        renditions=[r.model_dump() for r in data.renditions],
        key_hash=hash_stream_key(key),
        passphrase=data.passphrase,
    )
    session.add(endpoint)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError(f"endpoint {data.slug!r} already exists") from exc
    session.refresh(endpoint)
    return with_key(endpoint, key, publish_base, srt_url)


def update_endpoint(session: Session, *, slug: str, data: EndpointUpdate) -> EndpointPublic:
    endpoint = get_endpoint(session, slug=slug)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None or name == "dvr_window_seconds":
            setattr(endpoint, name, value)
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return to_public(endpoint)


def get_endpoint(session: Session, *, slug: str) -> Endpoint:
    endpoint = session.exec(select(Endpoint).where(Endpoint.slug == slug)).first()
    if endpoint is None:
        raise NotFoundError(f"no endpoint {slug!r}")
    return endpoint


def list_endpoints(session: Session, *, offset: int, limit: int) -> list[Endpoint]:
    stmt = select(Endpoint).order_by(col(Endpoint.id)).offset(offset).limit(limit)
    return list(session.exec(stmt).all())


def rotate_key(
    session: Session, *, slug: str, publish_base: str, srt_url: SrtUrl | None = None
) -> EndpointWithKey:
    endpoint = get_endpoint(session, slug=slug)
    key = generate_stream_key()
    endpoint.key_hash = hash_stream_key(key)
    endpoint.key_blocked = False
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return with_key(endpoint, key, publish_base, srt_url)


def set_key_blocked(session: Session, *, slug: str, blocked: bool) -> Endpoint:
    endpoint = get_endpoint(session, slug=slug)
    endpoint.key_blocked = blocked
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def delete_endpoint(session: Session, *, slug: str) -> None:
    endpoint = get_endpoint(session, slug=slug)
    session.exec(delete(MediaSession).where(col(MediaSession.endpoint_slug) == slug))
    gens = select(Generation.id).where(Generation.endpoint_id == endpoint.id)
    session.exec(delete(Rendition).where(col(Rendition.generation_id).in_(gens)))
    session.exec(delete(Generation).where(col(Generation.endpoint_id) == endpoint.id))
    session.delete(endpoint)
    session.commit()
