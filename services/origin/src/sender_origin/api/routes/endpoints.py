"""/api/v1/endpoints: create, list, get, rotate keys, delete."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, status

from sender_common.models import (
    EndpointCreate,
    EndpointPublic,
    EndpointsPublic,
    EndpointUpdate,
    EndpointWithKey,
    GenerationPublic,
)
from sender_origin import endpoints_service as svc
from sender_origin.deps import ManagerDep, SessionDep, SettingsDep
from sender_origin.generations_service import list_generations

router = APIRouter(prefix="/endpoints", tags=["endpoints"])
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
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
def get_endpoint(session: SessionDep, settings: SettingsDep, slug: str) -> EndpointPublic:
    """The endpoint, with its SRT URL (`{stream_key}` stands for the key, shown only once)."""
    return svc.to_public(svc.get_endpoint(session, slug=slug), settings.srt_url)


@router.patch("/{slug}")
async def update_endpoint(manager: ManagerDep, slug: str, data: EndpointUpdate) -> EndpointPublic:
    """Change title, auto start, slate, DVR window or recording; the runtime takes it at once."""

    def _update() -> EndpointPublic:
        from sqlmodel import Session

        with Session(manager.engine) as session:
            return svc.update_endpoint(session, slug=slug, data=data)

    updated = await asyncio.to_thread(_update)
    await manager.endpoint_updated(slug)
    return updated


@router.post("/{slug}/rotate-key")
def rotate_key(session: SessionDep, settings: SettingsDep, slug: str) -> EndpointWithKey:
    """A new stream key (shown once); the old one stops working and any block is lifted."""
    return svc.rotate_key(
        session, slug=slug, publish_base=settings.publish_base(), srt_url=settings.srt_url
    )


@router.get("/{slug}/generations")
def generations(
    session: SessionDep, slug: str, limit: int = Query(default=50, ge=1, le=1000)
) -> list[GenerationPublic]:
    return list_generations(session, slug=slug, limit=limit)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(manager: ManagerDep, slug: str) -> None:
    """Delete an endpoint: its stream stops and its spool is removed."""

    def _delete() -> None:
        from sqlmodel import Session

        with Session(manager.engine) as session:
            svc.delete_endpoint(session, slug=slug)

    await asyncio.to_thread(_delete)
    await manager.forget(slug)
