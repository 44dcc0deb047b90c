"""`GET /api/v1/endpoints/{endpoint}/viewers`: viewers now and their recent history."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query

from sender_common.models import EndpointSlug
from sender_metrics.deps import EngineDep, ViewersDep
from sender_metrics.models import ViewerSeriesPublic
from sender_metrics.snapshots import read_series

router = APIRouter(prefix="/endpoints", tags=["viewers"])


@router.get("/{endpoint}/viewers")
async def get_viewers(
    endpoint: EndpointSlug,
    engine: EngineDep,
    viewers: ViewersDep,
    since_seconds: Annotated[float, Query(gt=0, le=400 * 86400)] = 86400.0,
) -> ViewerSeriesPublic:
    since = time.time() - since_seconds
    series = await asyncio.to_thread(read_series, engine, endpoint=endpoint, since=since)
    now = await viewers.active_now(endpoint)
    return ViewerSeriesPublic(endpoint=endpoint, now=now, series=series)
