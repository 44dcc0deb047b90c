"""FastAPI dependencies of the metrics role (Annotated aliases over the parts its runtime
puts in `app.state`; the engine's is the shared `EngineDep`)."""

from __future__ import annotations

__all__ = ["EngineDep", "IngestDep", "ViewersDep"]

from typing import Annotated

from fastapi import Depends

from sender_common.deps import EngineDep, from_state
from sender_metrics.ingest import IngestService
from sender_metrics.viewers import ViewerState

IngestDep = Annotated[IngestService, Depends(from_state("ingest"))]
ViewersDep = Annotated[ViewerState, Depends(from_state("viewers"))]
