"""Talking to the upstream: bounded reads, retries, TLS diagnosis, safe segment URIs.

Errors raised here (all `sender_common.errors.UpstreamError`, 502 where they reach a client)::

    UpstreamError
    └── FetchError
        ├── UpstreamTlsError     certificate verification failed (no retry helps)
        ├── UpstreamRefused      SENDER_UPSTREAM_ALLOW refused the address at connect
        ├── UpstreamNotLive      404: the upstream has no live playlist for the endpoint
        ├── UnsafeSegmentUri     a URI resolving outside the upstream's /sender/hls/{endpoint}/
        └── TooLargeError        a body over its cap
"""

from __future__ import annotations

import re
import ssl
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from sender_common.errors import UpstreamError
from sender_common.models import MAX_DVR_SECONDS
from sender_edge.mirror.upstream.policy import (
    GuardedBackend,
    PolicyRefusal,
    UpstreamPolicy,
)
from sender_edge.mirror.upstream.tls import VerifyingContext

MAX_PLAYLIST_BYTES = 1_000_000
# a DVR playlist may list the longest window the origin keeps (a week) of 1 s segments,
# each entry (date, duration, URI) well under 128 bytes
MAX_DVR_PLAYLIST_BYTES = MAX_DVR_SECONDS * 128
MAX_SEGMENT_BYTES = 64 * 1024 * 1024
SEGMENT_SUFFIXES = (".ts", ".m4s", ".mp4", ".aac", ".vtt")
_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class FetchError(UpstreamError):
    """Anything that kept a fetch from producing a usable body."""


class UpstreamTlsError(FetchError):
    pass


class UpstreamRefused(FetchError):
    pass


class UpstreamNotLive(FetchError):
    pass


class UnsafeSegmentUri(FetchError):
    pass


class TooLargeError(FetchError):
    pass


def make_client(
    *,
    verify: bool,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
    bind: str | None = None,
    policy: UpstreamPolicy | None = None,
) -> httpx.AsyncClient:
    """The edge's client for one TLS-verification choice (from `bind`, when given).

    With a `policy`, every connection goes to addresses it allows (checked at connect)."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    tls: ssl.SSLContext | bool = VerifyingContext.create() if verify else False
    if transport is None and (bind or policy is not None):
        transport = httpx.AsyncHTTPTransport(verify=tls, local_address=bind, limits=limits)
        if policy is not None:
            # httpx has no parameter for the pool's network backend; the pool has one.
            pool = transport._pool
            pool._network_backend = GuardedBackend(policy, pool._network_backend)
    return httpx.AsyncClient(
        trust_env=False,  # a proxy from the environment would connect unchecked
        verify=tls,
        timeout=httpx.Timeout(timeout, connect=timeout),
        limits=limits,
        transport=transport,
        follow_redirects=False,
        headers={"user-agent": "sender-edge"},
    )


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(seen) < 6:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def is_tls_failure(exc: BaseException) -> bool:
    return any(
        isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen)
        for seen in _causes(exc)
    )


def policy_refusal(exc: BaseException) -> PolicyRefusal | None:
    """The allow-list refusal behind a failed connect, if that is what it was."""
    return next((c for c in _causes(exc) if isinstance(c, PolicyRefusal)), None)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return (
        isinstance(exc, httpx.TransportError)
        and not is_tls_failure(exc)
        and policy_refusal(exc) is None
    )


async def _get_once(
    client: httpx.AsyncClient, url: str, limit: int, timeout: float | None = None
) -> bytes:
    wait = httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)
    async with client.stream("GET", url, timeout=wait) as resp:
        if resp.status_code == 404:
            raise UpstreamNotLive(f"upstream has no {urlsplit(url).path}")
        resp.raise_for_status()
        declared = resp.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise TooLargeError(f"upstream body over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"upstream body over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


async def get_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int,
    attempts: int = 3,
    timeout: float | None = None,
) -> bytes:
    """GET `url` (at most `limit` bytes), retrying transport errors and 5xx only.

    `timeout` replaces the client's for requests the upstream may hold (LL-HLS blocking)."""
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.2, max=2),
            retry=retry_if_exception(_retryable),
            reraise=True,
        ):
            with attempt:
                return await _get_once(client, url, limit, timeout)
    except httpx.HTTPError as exc:
        if is_tls_failure(exc):
            raise UpstreamTlsError(f"upstream TLS verification failed: {exc}") from exc
        refused = policy_refusal(exc)
        if refused is not None:
            raise UpstreamRefused(str(refused)) from exc
        raise
    raise AssertionError("unreachable")  # pragma: no cover


class EndpointSource(NamedTuple):
    """Where one endpoint's media comes from: the client and `{upstream}/sender/hls/{slug}/`."""

    client: httpx.AsyncClient
    root: str


def hls_root(upstream_url: str, slug: str) -> str:
    """`{upstream}/sender/hls/{slug}/`, the only place this endpoint's media may come from."""
    return f"{upstream_url.rstrip('/')}/sender/hls/{slug}/"


def segment_target(playlist_url: str, uri: str, root: str) -> tuple[str, str]:
    """The absolute URL of a segment URI and its path below `root` (`{gen}/{rendition}/{file}`).

    Refuses anything that resolves elsewhere: another host or scheme, another endpoint,
    escapes, queries, or a layout other than generation/rendition/file.
    """
    if "%" in uri or "\\" in uri:
        raise UnsafeSegmentUri(f"segment URI {uri[:100]!r} is not allowed")
    absolute = urljoin(playlist_url, uri)
    got, base = urlsplit(absolute), urlsplit(root)
    if (got.scheme, got.netloc) != (base.scheme, base.netloc) or got.query or got.fragment:
        raise UnsafeSegmentUri(f"segment URI {uri[:100]!r} points outside the upstream")
    if not got.path.startswith(base.path):
        raise UnsafeSegmentUri(f"segment URI {uri[:100]!r} points outside the endpoint")
    parts = got.path[len(base.path) :].split("/")
    if (
        len(parts) != 3
        or not parts[0].isdigit()
        or not all(_PART.match(p) and ".." not in p for p in parts)
        or not parts[2].endswith(SEGMENT_SUFFIXES)
    ):
        raise UnsafeSegmentUri(f"segment URI {uri[:100]!r} has an unexpected layout")
    return absolute, "/".join(parts)
