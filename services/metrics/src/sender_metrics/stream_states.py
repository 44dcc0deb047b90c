"""Each endpoint's media-session state, as its origin last reported it on the control lane."""

from __future__ import annotations

__all__ = ["StreamBook", "StreamStore"]

from collections.abc import Iterable
from typing import Protocol

from sender_common.models import SessionState
from sender_common.viewers.batch import StreamStateData


class StreamStore(Protocol):
    async def put(self, data: StreamStateData) -> bool:
        """Record `data` unless a newer state of its endpoint is held."""
        ...


class StreamBook:
    """Endpoint -> its latest `stream_state`; an update older than the one held is ignored."""

    def __init__(self) -> None:
        self._streams: dict[str, StreamStateData] = {}

    def update(self, data: StreamStateData) -> bool:
        """Record `data`; False when a newer state of that endpoint is already held."""
        held = self._streams.get(data.endpoint)
        if held is not None and data.at < held.at:
            return False
        self._streams[data.endpoint] = data
        return True

    async def put(self, data: StreamStateData) -> bool:
        return self.update(data)

    def load(self, states: Iterable[StreamStateData]) -> None:
        """Replace every held state (a replica's copy of the shared ones)."""
        self._streams = {s.endpoint: s for s in states}

    def get(self, endpoint: str) -> StreamStateData | None:
        return self._streams.get(endpoint)

    def live(self) -> dict[str, int]:
        """1 for each endpoint whose session is live, else 0."""
        return {ep: int(s.state is SessionState.live) for ep, s in self._streams.items()}

    def generations(self) -> dict[str, int]:
        """The current (or last) generation of each endpoint that has had one."""
        return {ep: s.generation for ep, s in self._streams.items() if s.generation is not None}
