"""How `sender up` restarts a role that exits on its own: backoff within a budget."""

from __future__ import annotations

__all__ = ["RestartBudget"]

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RestartBudget:
    """At most `budget` restarts of one role within `window` seconds; each waits longer.

    Delays double from `initial` up to `maximum`; restarts older than `window` no longer
    count, so a role that crashes once a day is restarted every time."""

    budget: int = 5
    window: float = 120.0
    initial: float = 0.5
    maximum: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _recent: dict[str, deque[float]] = field(default_factory=dict, init=False, repr=False)

    def next_delay(self, role: str) -> float | None:
        """Seconds to wait before restarting `role`, or None when its budget is spent."""
        now = self.clock()
        recent = self._recent.setdefault(role, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.budget:
            return None
        delay: float = min(self.maximum, self.initial * 2.0 ** len(recent))
        recent.append(now)
        return delay
