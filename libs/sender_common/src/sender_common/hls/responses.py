"""ASGI answers of the HLS app: a cached file (whole, a byte range, or 304), bytes, a JSON error."""

from __future__ import annotations

__all__ = ["parse_range", "respond", "send_bytes", "send_error"]

import json
import re

from starlette.types import Scope, Send

from sender_common.hls.spoolcache import CachedFile

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
    body = entry.body
    if rng is None and (inm is None or not entry.etag or inm != entry.etag.encode()):
        # the common case: whole file, headers prepared once per cached file
        await send(
            {"type": "http.response.start", "status": 200, "headers": entry.full_response_headers()}
        )
        await send({"type": "http.response.body", "body": b"" if head else body})
        return 200, 0 if head else len(body)
    headers = list(entry.headers)
    if inm is not None and entry.etag and inm == entry.etag.encode():
        await send_bytes(send, 304, b"", headers, cors=False)
        return 304, 0
    assert rng is not None
    span = parse_range(rng.decode("latin-1"), len(body))
    if span is None:
        headers.append((b"content-range", f"bytes */{len(body)}".encode()))
        await send_bytes(send, 416, b"", headers, cors=False)
        return 416, 0
    start, end = span
    headers.append((b"content-range", f"bytes {start}-{end}/{len(body)}".encode()))
    part = body[start : end + 1]
    await send_bytes(send, 206, b"" if head else part, headers, length=len(part), cors=False)
    return 206, 0 if head else len(part)


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
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-cache")]
    await send_bytes(send, status, body, headers + (extra or []))
