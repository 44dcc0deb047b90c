"""Which sessions viewers started, and when a viewer last asked for each."""

from __future__ import annotations

import time
from collections.abc import Callable

ON_DEMAND_KEY = "on_demand"  # marks a viewer-started session in its stored options


class OnDemandSessions:
    """Viewer-started sessions idle for `idle_seconds` are due to stop; operators' never are."""

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._seen: dict[str, float] = {}

    def __contains__(self, slug: str) -> bool:
        return slug in self._seen

    def started(self, slug: str) -> None:
        self._seen[slug] = self._clock()

    def adopt(self, slug: str) -> None:
        """A stored viewer-started session (e.g. after a restart): idle counts from now."""
        self._seen.setdefault(slug, self._clock())

    def touch(self, slug: str) -> None:
        """A viewer asked for `slug`'s live playlist."""
        if slug in self._seen:
            self._seen[slug] = self._clock()

    def forget(self, slug: str) -> None:
        self._seen.pop(slug, None)

    def idle(self) -> list[str]:
        limit = self._clock() - self.idle_seconds
        return [slug for slug, seen in self._seen.items() if seen <= limit]

    def is_idle(self, slug: str) -> bool:
        seen = self._seen.get(slug)
        return seen is not None and seen <= self._clock() - self.idle_seconds
