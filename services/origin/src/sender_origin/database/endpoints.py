"""Endpoints: CRUD, lookup by stream key, key rotation and blocking."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sender_common import media_sessions
from sender_common.errors import ConflictError, NotFoundError
from sender_common.models import (
    Endpoint,
    EndpointCreate,
    EndpointPublic,
    EndpointType,
    EndpointUpdate,
    EndpointWithKey,
)
from sender_common.stream_keys import generate_stream_key, hash_stream_key
from sender_origin.database import generations

SrtUrl = Callable[[str, str | None], str]
"""(stream key, passphrase) -> the SRT publish URL."""
KEY_PLACEHOLDER = "{stream_key}"
MAX_KEY_LENGTH = 200


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
    renditions = [r.model_dump() for r in data.renditions]
    endpoint = Endpoint.model_validate(
        data, update={"renditions": renditions, "key_hash": hash_stream_key(key)}
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
    _save(session, endpoint)
    return to_public(endpoint)


def find_endpoint(session: Session, *, slug: str) -> Endpoint | None:
    return session.exec(select(Endpoint).where(Endpoint.slug == slug)).first()


def get_endpoint(session: Session, *, slug: str) -> Endpoint:
    endpoint = find_endpoint(session, slug=slug)
    if endpoint is None:
        raise NotFoundError(f"no endpoint {slug!r}")
    return endpoint


def find_by_key(session: Session, *, key: str) -> Endpoint | None:
    """The origin endpoint publishing with `key` (None for an empty or oversized key)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    return session.exec(
        select(Endpoint).where(
            Endpoint.key_hash == hash_stream_key(key), Endpoint.type == EndpointType.origin
        )
    ).first()


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
    _save(session, endpoint)
    return with_key(endpoint, key, publish_base, srt_url)


def set_key_blocked(session: Session, *, slug: str, blocked: bool) -> None:
    """Refuse (or accept again) the endpoint's key; an unknown slug is a no-op."""
    endpoint = find_endpoint(session, slug=slug)
    if endpoint is not None:
        endpoint.key_blocked = blocked
        _save(session, endpoint)


def delete_endpoint(session: Session, *, slug: str) -> None:
    """The endpoint, its media sessions, generations and their renditions."""
    endpoint = get_endpoint(session, slug=slug)
    assert endpoint.id is not None
    media_sessions.delete(session, slug=slug)
    generations.delete_generations(session, endpoint_id=endpoint.id)
    session.delete(endpoint)
    session.commit()


def _save(session: Session, endpoint: Endpoint) -> None:
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)


def endpoint_id(session: Session, *, slug: str) -> int:
    """The endpoint's id (404 for an unknown slug)."""
    found = get_endpoint(session, slug=slug).id
    assert found is not None
    return found
