"""UDP ports for ICE host candidates, handed out in turn from `SENDER_WEBRTC_UDP_PORTS`."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

__all__ = ["PortPool"]


class PortPool:
    """Hands out ports of a range in turn (None: let the system pick)."""

    def __init__(self, ports: tuple[int, int] | None) -> None:
        self.ports = ports
        self._next = itertools.cycle(range(ports[0], ports[1] + 1)) if ports else None

    def candidates(self) -> Iterable[int]:
        """Ports to try for one socket: each of the range once, from the next in turn."""
        if self.ports is None or self._next is None:
            return [0]
        return [next(self._next) for _ in range(self.ports[1] - self.ports[0] + 1)]
