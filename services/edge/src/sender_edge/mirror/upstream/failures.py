"""What a failed upstream request means for a mirror session, and which failures it has now."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from sender_common.hls.playlist.syntax import PlaylistError
from sender_edge.mirror.upstream.fetch import (
    FetchError,
    UpstreamNotLive,
    UpstreamRefused,
    UpstreamTlsError,
)

MAX_BACKOFF = 10.0  # the longest pause between two requests of a failing session


class MasterSeenError(PlaylistError):
    """The upstream now serves a master playlist where a media playlist was followed."""


@dataclass(frozen=True, slots=True)
class Failure:
    kind: str  # the `kind` label of sender_edge_upstream_errors_total
    message: str
    fatal: bool  # the session is in `error` until a request succeeds
    least: float  # the least delay before the next request


def classify(exc: BaseException, reload_interval: float, segment_seconds: float) -> Failure:
    """What a failed upstream request means."""
    if isinstance(exc, MasterSeenError):
        return Failure("invalid", str(exc), False, 0.0)
    if isinstance(exc, UpstreamNotLive):
        least = max(reload_interval, segment_seconds)
        return Failure("not_live", f"upstream not live: {exc}", False, least)
    if isinstance(exc, UpstreamTlsError):
        return Failure("tls", str(exc), True, 0.0)
    if isinstance(exc, UpstreamRefused):  # only a change of SENDER_UPSTREAM_ALLOW or DNS helps
        return Failure("not_allowed", str(exc), True, MAX_BACKOFF)
    if isinstance(exc, PlaylistError | FetchError):
        return Failure("invalid", f"upstream refused: {exc}", True, 0.0)
    if isinstance(exc, httpx.HTTPStatusError):
        return Failure("http", f"upstream HTTP {exc.response.status_code}", False, 0.0)
    if isinstance(exc, httpx.TransportError | OSError):
        message = f"upstream unreachable: {type(exc).__name__}: {exc}"
        return Failure("transport", message, False, 0.0)
    return Failure("internal", f"internal error: {exc!r}", False, MAX_BACKOFF)


class Failures:
    """A session's current failures, one per source: discovery, or one rendition."""

    def __init__(self) -> None:
        self._by_source: dict[str, Failure] = {}

    def record(self, rendition: str | None, failure: Failure) -> None:
        self._by_source[_source(rendition)] = failure

    def clear(self, rendition: str | None) -> None:
        """A request of this source succeeded (or the rendition is no longer followed)."""
        self._by_source.pop(_source(rendition), None)

    @property
    def last_error(self) -> str | None:
        return next((f.message for f in self._by_source.values()), None)

    @property
    def fatal(self) -> bool:
        return any(f.fatal for f in self._by_source.values())


def _source(rendition: str | None) -> str:
    return "discovery" if rendition is None else f"rendition:{rendition}"
