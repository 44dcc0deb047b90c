"""ASGI answers of the HLS app: a cached file (whole, a byte range, or 304), bytes, a JSON error."""

from __future__ import annotations

__all__ = ["error_body", "parse_range", "plan", "respond", "send_bytes", "send_error"]

import json
import re

from starlette.types import Scope, Send

from sender_common.hls.serve.spoolcache import CachedFile

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def respond(scope: Scope, send: Send, entry: CachedFile, head: bool) -> tuple[int, int]:
    """Send `entry` (HEAD: headers only); returns (status, body bytes sent)."""
    rng: bytes | None = None
    inm: bytes | None = None
    for key, value in scope.get("headers", ()):
        if key == b"range":
            rng = bytes(value)
        elif key == b"if-none-match":
            inm = bytes(value)
    if rng is None and inm is None:  # the common case: headers prepared once per file
        start = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": entry.full_response_headers()})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})
        return 200, 0 if head else len(entry.body)
    status, headers, body = plan(entry, rng, inm)
    length = len(body)
    await send_bytes(send, status, b"" if head else body, headers, length=length, cors=False)
    return status, 0 if head else length


def plan(
    entry: CachedFile, rng: bytes | None, inm: bytes | None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers without content-length, body) of a conditional or range request:
    304 for a matching `If-None-Match`, 206 or 416 for `Range`, else 200 (RFC 9110 13, 14)."""
    body = entry.body
    if inm is not None and entry.etag and inm == entry.etag.encode():
        return 304, list(entry.headers), b""
    if rng is None:
        return 200, list(entry.headers), body
    headers = list(entry.headers)
    span = parse_range(rng.decode("latin-1"), len(body))
    if span is None:
        headers.append((b"content-range", f"bytes */{len(body)}".encode()))
        return 416, headers, b""
    start, end = span
    headers.append((b"content-range", f"bytes {start}-{end}/{len(body)}".encode()))
    return 206, headers, body[start : end + 1]


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """The inclusive byte span a `Range` header asks of `size` bytes; None: unsatisfiable."""
    m = _RANGE.match(value.strip())
    if m is None or size == 0:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0:
            return None
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        return None
    return start, end


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    length: int | None = None,
    cors: bool = True,
) -> None:
    """One whole response; `length` overrides the content-length (a HEAD of a range)."""
    extra = [(b"access-control-allow-origin", b"*")] if cors else []
    headers = [
        *headers,
        *extra,
        (b"content-length", str(len(body) if length is None else length).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """`{"detail": ...}` with `status`, the body shape of every Sender error."""
    body = error_body(detail)
    await send_bytes(send, status, body, ERROR_HEADERS + (extra or []))


ERROR_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-cache")]


def error_body(detail: str) -> bytes:
    return json.dumps({"detail": detail}).encode()
