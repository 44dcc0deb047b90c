"""/api/v1/endpoints: create, list, get, rotate keys, delete."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from sender_common.models import (
    EndpointCreate,
    EndpointPublic,
    EndpointSlug,
    EndpointsPublic,
    EndpointUpdate,
    EndpointWithKey,
    GenerationPublic,
)
from sender_origin.database import endpoints as svc
from sender_origin.database import in_session
from sender_origin.database.generations import list_generations
from sender_origin.deps import ManagerDep, SessionDep, SettingsDep

router = APIRouter(prefix="/endpoints", tags=["endpoints"])
OFFSET_MAX = 2**63 - 1  # the database's integer range: a larger offset is bad input, not a 500


@router.post("", status_code=status.HTTP_201_CREATED)
def create_endpoint(
    session: SessionDep, settings: SettingsDep, manager: ManagerDep, data: EndpointCreate
) -> EndpointWithKey:
    """Create an endpoint; the stream key is in this response and never again."""
    created = svc.create_endpoint(
        session, data=data, publish_base=settings.publish_base(), srt_url=settings.srt_url
    )
    manager.endpoint_created(data.slug)
    return created


@router.get("")
def list_endpoints(
    session: SessionDep,
    settings: SettingsDep,
    offset: int = Query(default=0, ge=0, le=OFFSET_MAX),
    limit: int = Query(default=100, ge=1, le=1000),
) -> EndpointsPublic:
    rows = [
        svc.to_public(e, settings.srt_url)
        for e in svc.list_endpoints(session, offset=offset, limit=limit)
    ]
    return EndpointsPublic(data=rows, count=len(rows))


@router.get("/{slug}")
def get_endpoint(session: SessionDep, settings: SettingsDep, slug: EndpointSlug) -> EndpointPublic:
    """The endpoint, with its SRT URL (`{stream_key}` stands for the key, shown only once)."""
    return svc.to_public(svc.get_endpoint(session, slug=slug), settings.srt_url)


@router.patch("/{slug}")
async def update_endpoint(
    manager: ManagerDep, slug: EndpointSlug, data: EndpointUpdate
) -> EndpointPublic:
    """Change title, auto start, slate, DVR window or recording; the runtime takes it at once."""
    updated = await in_session(manager.engine, svc.update_endpoint, slug=slug, data=data)
    await manager.endpoint_updated(slug)
    return updated


@router.post("/{slug}/rotate-key")
def rotate_key(session: SessionDep, settings: SettingsDep, slug: EndpointSlug) -> EndpointWithKey:
    """A new stream key (shown once); the old one stops working and any block is lifted."""
    return svc.rotate_key(
        session, slug=slug, publish_base=settings.publish_base(), srt_url=settings.srt_url
    )


@router.get("/{slug}/generations")
def generations(
    session: SessionDep, slug: EndpointSlug, limit: int = Query(default=50, ge=1, le=1000)
) -> list[GenerationPublic]:
    endpoint_id = svc.endpoint_id(session, slug=slug)
    return list_generations(session, endpoint_id=endpoint_id, limit=limit)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(manager: ManagerDep, slug: EndpointSlug) -> None:
    """Delete an endpoint: its stream stops and its spool is removed."""
    await in_session(manager.engine, svc.delete_endpoint, slug=slug)
    await manager.forget(slug)
