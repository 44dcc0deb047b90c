"""How many sessions an edge runs (SENDER_EDGE_MAX_SESSIONS)."""

from __future__ import annotations

from sender_common.errors import ConflictError, UnavailableError

__all__ = ["check_room"]


def check_room(
    slug: str,
    wanted: set[str],
    running: set[str],
    limit: int,
    *,
    on_demand: bool,
    retry_after: int,
) -> None:
    """Room for `slug` among the wanted and running sessions: viewers get 503, operators 409."""
    if slug in running or slug in wanted or len(wanted | running) < limit:
        return
    reason = f"this edge runs its maximum of {limit} sessions (SENDER_EDGE_MAX_SESSIONS)"
    if on_demand:
        raise UnavailableError(reason, retry_after=retry_after)
    raise ConflictError(reason)
