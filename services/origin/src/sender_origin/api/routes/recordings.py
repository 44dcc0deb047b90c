"""/api/v1/endpoints/{slug}/recordings: kept generations, their MP4 export, deletion."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import FileResponse

from sender_common.models import RENDITION_PATTERN, EndpointSlug
from sender_origin import recordings
from sender_origin.deps import ManagerDep
from sender_origin.recordings import RecordingPublic
from sender_origin.streams.retention import remove_spool

router = APIRouter(prefix="/endpoints", tags=["recordings"])


@router.get("/{slug}/recordings")
async def list_recordings(manager: ManagerDep, slug: EndpointSlug) -> list[RecordingPublic]:
    """Generations kept in the spool, oldest first (start, end, duration, size)."""
    return await asyncio.to_thread(
        recordings.list_recordings, manager.engine, manager.settings.spool_dir, slug
    )


@router.get(
    "/{slug}/recordings/{generation}.mp4",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}}, 409: {}},
)
async def export_recording(
    manager: ManagerDep,
    slug: EndpointSlug,
    generation: Annotated[int, Path(ge=1, le=10**9)],
    rendition: Annotated[str | None, Query(pattern=RENDITION_PATTERN)] = None,
) -> FileResponse:
    """One generation as a single MP4 (`-c copy`, no re-encode), with `Range` support;
    `409` while the generation is live."""
    number = generation
    path = await recordings.export_mp4(
        manager.engine, manager.settings.spool_dir, manager.ffmpeg, slug, number, rendition
    )
    return FileResponse(path, media_type="video/mp4", filename=f"{slug}-{number}.mp4")


@router.delete("/{slug}/recordings/{generation}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_recording(
    manager: ManagerDep,
    slug: EndpointSlug,
    generation: Annotated[int, Path(ge=1, le=10**9)],
) -> None:
    """Remove one ended generation's spool (`409` while live)."""
    gid = await asyncio.to_thread(recordings.removable_generation, manager.engine, slug, generation)
    await remove_spool(manager, slug, generation, gid)
