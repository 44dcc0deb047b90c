"""The metrics role's /api/v1 routers: viewers behind the token, ingest public (nodes
authenticate with their signatures)."""

from __future__ import annotations

from sender_metrics.api.routes import ingest, viewers

GUARDED = (viewers.router,)
PUBLIC = (ingest.router,)
