"""A bounded set of keys that expire: remember a miss for a moment instead of asking again."""

from __future__ import annotations

__all__ = ["RecentMisses"]

import time
from collections import OrderedDict
from collections.abc import Callable


class RecentMisses:
    """Keys seen missing within the last `ttl` seconds (at most `size`, oldest dropped)."""

    def __init__(
        self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if until < self._clock():
            del self._until[key]
            return False
        return True

    def add(self, key: str) -> None:
        self._until.pop(key, None)
        self._until[key] = self._clock() + self.ttl
        while len(self._until) > self.size:
            self._until.popitem(last=False)

    def discard(self, key: str) -> None:
        self._until.pop(key, None)
