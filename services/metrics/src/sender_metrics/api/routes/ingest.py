"""`POST /api/v1/ingest/batches` and `/control`: signed messages from origins and edges."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from sender_metrics.deps import IngestDep
from sender_metrics.models import ControlAccepted, IngestAccepted

router = APIRouter(prefix="/ingest", tags=["ingest"])


@router.post("/batches", status_code=status.HTTP_202_ACCEPTED)
async def post_batch(request: Request, ingest: IngestDep) -> IngestAccepted:
    body = await request.body()
    viewers = await ingest.ingest(body, request.headers)
    return IngestAccepted(viewers=viewers)


@router.post("/control", status_code=status.HTTP_202_ACCEPTED)
async def post_control(request: Request, ingest: IngestDep) -> ControlAccepted:
    body = await request.body()
    resource = await ingest.control(body, request.headers)
    return ControlAccepted(resource=resource)
