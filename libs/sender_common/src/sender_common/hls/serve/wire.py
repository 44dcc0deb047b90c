"""HTTP/1.1 responses of the HLS serving path as bytes, the head of each file made once.

A served file (a part, a segment, a playlist text) keeps its response head: status line and
headers up to the `Date` line, which is the same for every response within a second.
"""

from __future__ import annotations

__all__ = ["date_line", "error_response", "file_response", "head_bytes"]

import time
from email.utils import formatdate
from http import HTTPStatus

from sender_common.hls.serve.responses import ERROR_HEADERS, error_body, plan
from sender_common.hls.serve.spoolcache import CachedFile

Headers = list[tuple[bytes, bytes]]
CLOSE = b"connection: close\r\n"
_date: tuple[int, bytes] = (0, b"")


def date_line() -> bytes:
    """`date: ...` (RFC 9110 6.6.1), made once a second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n")
    return _date[1]


def _status_line(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


STATUS = {code: _status_line(code) for code in range(100, 600)}


def head_bytes(status: int, headers: Headers, length: int) -> bytes:
    """The status line, `headers` and `content-length` (the `date` line and the blank line
    that ends the head are added per response)."""
    lines = [STATUS[status]]
    lines.extend(b"%s: %s\r\n" % (name, value) for name, value in headers)
    lines.append(b"content-length: %d\r\n" % length)
    return b"".join(lines)


def file_response(
    entry: CachedFile, rng: bytes | None, inm: bytes | None, head: bool, close: bool
) -> tuple[int, bytes, bytes, int]:
    """(status, response head, body, body bytes) for `entry`; a small file's keep-alive 200
    comes whole as the head (see `whole_response`)."""
    if rng is None and inm is None:
        size = 0 if head else len(entry.body)
        if not close and len(entry.body) <= WHOLE_MAX:
            return 200, whole_response(entry, head), b"", size
        status, top, body = 200, _head_of(entry), entry.body
    else:
        status, headers, body = plan(entry, rng, inm)
        top = head_bytes(status, headers, len(body))
    end = date_line() + (CLOSE if close else b"") + b"\r\n"
    body = b"" if head else body
    return status, top + end, body, len(body)


WHOLE_MAX = 64 * 1024  # files up to this size keep their whole response, remade each second


def _head_of(entry: CachedFile) -> bytes:
    wire = entry.wire
    if not wire:
        wire[:] = [head_bytes(200, entry.headers, len(entry.body)), b"", b"", b""]
    return wire[0]


def whole_response(entry: CachedFile, head: bool) -> bytes:
    """The keep-alive 200 response to `entry` (HEAD: its head), whole, made at most once a
    second for a small file: every viewer of a part or a playlist text gets the same bytes."""
    top = _head_of(entry)
    date = date_line()
    wire = entry.wire
    if head:
        return top + date + b"\r\n"
    if wire[1] is not date:
        wire[1], wire[2] = date, top + date + b"\r\n" + entry.body
    return wire[2]


def error_response(
    status: int, detail: str, extra: Headers | None = None, *, close: bool = False
) -> bytes:
    """A whole `{"detail": ...}` response, the body shape of every Sender error."""
    body = error_body(detail)
    headers = [*ERROR_HEADERS, *(extra or []), (b"access-control-allow-origin", b"*")]
    end = date_line() + (CLOSE if close else b"") + b"\r\n"
    return head_bytes(status, headers, len(body)) + end + body


def empty_response(status: int, headers: Headers, *, close: bool = False) -> bytes:
    """A response without a body (e.g. 204 to a CORS preflight)."""
    headers = [*headers, (b"access-control-allow-origin", b"*")]
    end = date_line() + (CLOSE if close else b"") + b"\r\n"
    return head_bytes(status, headers, 0) + end
