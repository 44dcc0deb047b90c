"""`GET /api/v1/endpoints/{endpoint}/viewers`: viewers now and their recent history."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query

from sender_common.models import SLUG_PATTERN
from sender_metrics.deps import RuntimeDep, SessionDep
from sender_metrics.models import ViewerSeriesPublic
from sender_metrics.snapshots import viewer_series

router = APIRouter(prefix="/endpoints", tags=["viewers"])


@router.get("/{endpoint}/viewers")
def get_viewers(
    endpoint: Annotated[str, Path(pattern=SLUG_PATTERN)],
    session: SessionDep,
    runtime: RuntimeDep,
    since_seconds: Annotated[float, Query(gt=0, le=400 * 86400)] = 86400.0,
) -> ViewerSeriesPublic:
    series = viewer_series(session, endpoint=endpoint, since=time.time() - since_seconds)
    return ViewerSeriesPublic(endpoint=endpoint, now=runtime.book.active(endpoint), series=series)
