"""The ingest interface: an RTMP or SRT front end hands publishes to an `Authorize` callback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sender_common.errors import SenderError


class PublishRefused(SenderError):
    """A publish was refused; the message is safe to log (never contains the key)."""


@dataclass(frozen=True, slots=True)
class Admission:
    """A first answer for a publish, given while an ingest's handshake waits (SRT): a refusal
    reason (a metric label), or None and the endpoint's SRT passphrase, if any."""

    refusal: str | None
    passphrase: str | None = None


class PublishSink(Protocol):
    """Where an accepted publish sends its media."""

    async def write_tag(self, tag_type: int, timestamp: int, payload: bytes) -> None: ...

    async def close(self) -> None: ...

    def bind_kick(self, kick: Callable[[], None]) -> None: ...


class StreamSink(Protocol):
    """Where an accepted byte-stream publish (SRT's MPEG-TS) sends its media."""

    async def write_bytes(self, data: bytes) -> None: ...

    async def close(self) -> None: ...

    def bind_kick(self, kick: Callable[[], None]) -> None: ...


Authorize = Callable[[str, str, str], Awaitable[PublishSink]]
"""(app, stream key, peer) -> sink, or raises PublishRefused."""
