"""SRT stream IDs a publisher sends: `publish:live/KEY` (MediaMTX style) or the SRT access
control syntax `#!::r=live/KEY,m=publish` (Haivision/srt, docs/features/access-control.md).
Pure functions; the key never appears in an error message."""

from __future__ import annotations

from sender_common.errors import ProtocolError

__all__ = [
    "REJECT_BAD_MODE",
    "REJECT_BAD_REQUEST",
    "REJECT_CODES",
    "BadStreamId",
    "parse_stream_id",
]

from dataclasses import dataclass

MAX_STREAM_ID = 512  # SRT's own limit for SRTO_STREAMID
# reject reasons from SRT's predefined range: 1000 + an HTTP status (access_control.h)
REJECT_BAD_REQUEST = 1400
REJECT_BAD_MODE = 1405
REJECT_CODES = {
    "bad_stream_id": REJECT_BAD_REQUEST,
    "bad_mode": REJECT_BAD_MODE,
    "unknown_key": 1401,  # SRT_REJX_UNAUTHORIZED
    "blocked": 1403,  # SRT_REJX_FORBIDDEN
    "already_live": 1409,  # SRT_REJX_CONFLICT
    "stopped": 1503,  # SRT_REJX_DOWN
}


class BadStreamId(ProtocolError, ValueError):
    """The stream ID is not a publish to `live/KEY`; `reason` is a metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StreamId:
    app: str
    key: str


def _split_resource(resource: str) -> StreamId:
    app, sep, key = resource.partition("/")
    if not sep or app != "live" or not key or "/" in key:
        raise BadStreamId("bad_stream_id", "resource must be live/<stream_key>")
    return StreamId(app, key)


def parse_stream_id(raw: bytes) -> StreamId:
    """The application and key a caller asks to publish to, or `BadStreamId`."""
    if not raw or len(raw) > MAX_STREAM_ID:
        raise BadStreamId("bad_stream_id", f"stream ID of {len(raw)} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadStreamId("bad_stream_id", "stream ID is not UTF-8") from exc
    if text.startswith("#!::"):
        fields: dict[str, str] = {}
        for item in text[4:].split(","):
            name, sep, value = item.partition("=")
            if not sep:
                raise BadStreamId("bad_stream_id", "access control field without '='")
            fields[name.strip()] = value.strip()
        if fields.get("m", "request") != "publish":
            raise BadStreamId("bad_mode", "only m=publish is accepted")
        return _split_resource(fields.get("r", ""))
    mode, sep, rest = text.partition(":")
    if not sep:
        raise BadStreamId("bad_stream_id", "expected publish:live/<stream_key>")
    if mode != "publish":
        raise BadStreamId("bad_mode", "only publish: is accepted")
    return _split_resource(rest.split("?", 1)[0])
