"""FastAPI dependencies of the metrics role (Annotated aliases over the parts its runtime
puts in `app.state`; the engine's is the shared `EngineDep`)."""

from __future__ import annotations

__all__ = ["EngineDep", "IngestDep", "ViewersDep"]

from typing import Annotated

from fastapi import Depends, Request

from sender_common.deps import EngineDep
from sender_metrics.ingest import IngestService
from sender_metrics.viewers import ViewerState


def get_ingest(request: Request) -> IngestService:
    ingest: IngestService = request.app.state.ingest
    return ingest


def get_viewers(request: Request) -> ViewerState:
    viewers: ViewerState = request.app.state.viewers
    return viewers


IngestDep = Annotated[IngestService, Depends(get_ingest)]
ViewersDep = Annotated[ViewerState, Depends(get_viewers)]
