"""Which of one rendition's spool files (segments, init sections) stay on disk."""

from __future__ import annotations

from collections import deque

PRUNE_MARGIN = 2  # segments kept on disk after leaving the window, for slow players


class SpoolWindow:
    """The newest segments of a rendition and the init sections they need; older ones go."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._segments: deque[tuple[str, str | None]] = deque()  # (path, its init section)
        self._maps: deque[str] = deque()

    def add_map(self, path: str) -> None:
        if path not in self._maps:
            self._maps.append(path)

    def add(self, path: str, map_path: str | None) -> list[str]:
        """A segment is on disk; returns the paths that fell out of the disk window."""
        self._segments.append((path, map_path))
        gone: list[str] = []
        while len(self._segments) > self.window + PRUNE_MARGIN:
            gone.append(self._segments.popleft()[0])
        needed = {m for _, m in self._segments}
        while len(self._maps) > 1 and self._maps[0] not in needed:
            gone.append(self._maps.popleft())
        return gone

    def reset(self) -> list[str]:
        """Forget everything (the follower restarted); returns every path it held."""
        gone = [p for p, _ in self._segments] + list(self._maps)
        self._segments.clear()
        self._maps.clear()
        return gone
