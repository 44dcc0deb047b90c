"""An HLS request as the serving path reads it: its path checked component by component (a
fixed character set, no `..`, no percent escapes), its viewer session id and its LL-HLS
blocking-reload directives, and what an answer that cannot be given at once is."""

from __future__ import annotations

__all__ = [
    "LATER",
    "OPTIONS_HEADERS",
    "Blocking",
    "BlockingRequestError",
    "HintWait",
    "HlsRequest",
    "Later",
    "LiveAnswer",
    "blocking_from",
    "blocking_of",
    "parse_request",
    "parsed_request",
]

import enum
import re
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import parse_qs

from sender_common.errors import FormatError
from sender_common.hls.playlist.live import LiveWait
from sender_common.models import SLUG_PATTERN

_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
# `{endpoint}/` and one to four components of a fixed character set (no `%`, `\\`, `//`)
_PATH = re.compile(rf"{SLUG_PATTERN[:-1]}(?:/{_PART}){{1,4}}\Z")
_VSID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_UINT = re.compile(r"^\d{1,12}$")
MAX_PART_INDEX = 10_000
Query = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Blocking:
    """An LL-HLS blocking playlist reload (RFC 8216bis 6.2.5.2): `_HLS_msn`, `_HLS_part`."""

    msn: int
    part: int | None = None
    skip: bool = False


class BlockingRequestError(FormatError, ValueError):
    """A blocking reload the server refuses with 400 (malformed, or too far ahead)."""

    status_code = 400


class Later(enum.Enum):
    """An answer that needs the async path (a database lookup, an on-demand start...)."""

    LATER = "later"


LATER = Later.LATER
LiveAnswer: TypeAlias = "bytes | LiveWait | Later | None"


@dataclass(frozen=True, slots=True)
class HintWait:
    """A request for the preload-hinted part: answered when the part is complete."""

    rel: str
    timeout: float


@dataclass(frozen=True, slots=True)
class HlsRequest:
    """One request below the HLS root: `{endpoint}/{rest}`, checked component by component."""

    endpoint: str
    parts: tuple[str, ...]
    rel: str
    query: Query
    vsid: str | None
    live_name: bool = False  # a live or DVR playlist name (`live*`, `dvr*`)
    # its blocking-reload directives (live names only); an error: refused with 400
    blocking: Blocking | BlockingRequestError | None = None

    def block(self) -> Blocking | None:
        """The blocking-reload directives; raises BlockingRequestError when malformed."""
        if isinstance(self.blocking, BlockingRequestError):
            raise BlockingRequestError(str(self.blocking))
        return self.blocking


def parse_request(path: str, query_string: bytes) -> HlsRequest | None:
    """The request for `path` (below the HLS root, percent escapes refused) or None (400)."""
    path = path.strip("/")
    if _PATH.match(path) is None or ".." in path:
        return None
    parts = path.split("/")
    query = _query(query_string)
    live = len(parts) >= 2 and parts[1].startswith(("live", "dvr"))
    blocking: Blocking | BlockingRequestError | None = None
    if live:
        try:
            blocking = blocking_from(query)
        except BlockingRequestError as exc:
            blocking = exc
    return HlsRequest(parts[0], tuple(parts), "/".join(parts), query, _vsid(query), live, blocking)


_parsed: dict[tuple[str, bytes], HlsRequest | None] = {}
MAX_PARSED = 4096


def parsed_request(path: str, query_string: bytes) -> HlsRequest | None:
    """`parse_request`, remembered per (path, query): viewers of a stream ask the same URLs
    (the serving path's requests; a request is immutable, so sharing one is safe)."""
    key = (path, query_string)
    try:
        return _parsed[key]
    except KeyError:
        pass
    if len(_parsed) >= MAX_PARSED:
        _parsed.clear()
    found = _parsed[key] = parse_request(path, query_string)
    return found


OPTIONS_HEADERS = [
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-allow-headers", b"Range"),
    (b"access-control-max-age", b"86400"),
]


def _query(qs: bytes) -> Query:
    """A request's query, parsed once, only when it holds something the HLS app reads."""
    if not qs or (b"_HLS_" not in qs and b"vsid=" not in qs):
        return {}
    return parse_qs(qs.decode("latin-1"), keep_blank_values=True)


def blocking_of(qs: bytes) -> Blocking | None:
    """The LL-HLS directives of a playlist request; BlockingRequestError when malformed."""
    if b"_HLS_" not in qs:
        return None
    return blocking_from(parse_qs(qs.decode("latin-1"), keep_blank_values=True))


def blocking_from(query: Query) -> Blocking | None:
    """`blocking_of` for a query already parsed (blank values kept)."""
    msn, part = query.get("_HLS_msn"), query.get("_HLS_part")
    skip = query.get("_HLS_skip", [""])[0] in ("YES", "v2")
    if msn is None:
        if part is not None:
            raise BlockingRequestError("_HLS_part requires _HLS_msn")
        return None
    if len(msn) > 1 or not _UINT.match(msn[0]):
        raise BlockingRequestError("_HLS_msn must be a non-negative integer")
    index: int | None = None
    if part is not None:
        if len(part) > 1 or not _UINT.match(part[0]) or int(part[0]) > MAX_PART_INDEX:
            raise BlockingRequestError("_HLS_part must be a non-negative integer")
        index = int(part[0])
    return Blocking(int(msn[0]), index, skip)


def _vsid(query: Query) -> str | None:
    values = [v for v in query.get("vsid", ()) if v]  # the first one given a value
    if values and _VSID.match(values[0]):
        return str(values[0])
    return None
