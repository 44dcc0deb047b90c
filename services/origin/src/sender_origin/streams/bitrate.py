"""A publisher's recent ingest bitrate, from the bytes it sends."""

from __future__ import annotations

__all__ = ["BitrateMeter"]

import time
from collections import deque
from collections.abc import Callable


class BitrateMeter:
    """Bytes counted in one-second buckets; the rate is taken over the last full `window`
    seconds (the current, partial second is left out so the figure does not dip)."""

    def __init__(self, window: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self.started = clock()
        self._buckets: deque[list[int]] = deque(maxlen=window + 1)  # [second, bytes]

    def add(self, nbytes: int) -> None:
        second = int(self.clock())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += nbytes
        else:
            self._buckets.append([second, nbytes])

    def kbps(self) -> float | None:
        """Kilobits per second over the last full seconds; None before one full second."""
        now = int(self.clock())
        first = max(now - self.window, int(self.started) + 1)
        seconds = now - first
        if seconds <= 0:
            return None
        total = sum(b for s, b in self._buckets if first <= s < now)
        return round(total * 8 / 1000 / seconds, 1)
