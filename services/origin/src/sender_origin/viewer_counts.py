"""Viewers of an endpoint for the management API: from the metrics role when this node
reports to one (viewers across every node, with history), else this node's own count."""

from __future__ import annotations

__all__ = ["ViewerCounts", "ViewersPublic"]

import logging
from typing import Literal

from pydantic import BaseModel, ValidationError

from sender_common.viewers import Viewers
from sender_common.viewers.series import SeriesPoint, ViewerSeriesPublic

log = logging.getLogger(__name__)


class ViewersPublic(BaseModel):
    endpoint: str
    now: int
    source: Literal["metrics", "node"]
    series: list[SeriesPoint] = []
    metrics_error: str | None = None


class ViewerCounts:
    """Asks the metrics role through the node's metrics client, with the node's own token."""

    def __init__(self, viewers: Viewers, api_token: str | None) -> None:
        self.viewers = viewers
        self.headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}

    async def of(self, slug: str, since_seconds: float) -> ViewersPublic:
        client = self.viewers.client
        own = ViewersPublic(endpoint=slug, now=self.viewers.active(slug), source="node")
        if client is None:
            return own
        import httpx  # loaded with the client (sender_common.viewers): a lookup

        try:
            r = await client.get(
                f"/api/v1/endpoints/{slug}/viewers",
                params={"since_seconds": since_seconds},
                headers=self.headers,
            )
            r.raise_for_status()
            answer = ViewerSeriesPublic.model_validate_json(r.content)
        except httpx.HTTPStatusError as exc:
            own.metrics_error = f"metrics role answered {exc.response.status_code}"
        except (httpx.HTTPError, ValidationError) as exc:
            own.metrics_error = f"metrics role unreachable ({type(exc).__name__})"
        else:
            return ViewersPublic(
                endpoint=slug, now=answer.now, source="metrics", series=answer.series
            )
        log.debug("%s: viewers from this node: %s", slug, own.metrics_error)
        return own
