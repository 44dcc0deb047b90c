"""Encoded media frames as WHEP sessions send them, and the feed's framing between nodes.

A video frame is one H.264 access unit in Annex B form (start codes), SPS and PPS in front
of every IDR so any keyframe starts a decoder; its time is on the 90 kHz RTP clock. An
audio frame is one Opus packet on the 48 kHz clock. The feed (`GET /sender/whep/{endpoint}
/feed`) carries them between nodes as records: a 14-byte header (kind, flags, 64-bit
timestamp, 32-bit length) and the payload.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from sender_common.errors import ProtocolError

__all__ = [
    "AUDIO_CLOCK",
    "VIDEO_CLOCK",
    "FeedError",
    "FeedReader",
    "MediaFrame",
    "pack_frame",
]

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
_HEADER = struct.Struct(">BBqI")
_KINDS = {0: "video", 1: "audio"}
_CODES = {v: k for k, v in _KINDS.items()}
_KEY, _BREAK = 0x01, 0x02
MAX_FRAME = 8 * 1024 * 1024


class FeedError(ProtocolError, ValueError):
    """Bytes that are not a feed."""


@dataclass(frozen=True, slots=True)
class MediaFrame:
    kind: str  # "video" or "audio"
    pts: int  # on the kind's clock (VIDEO_CLOCK, AUDIO_CLOCK)
    data: bytes
    keyframe: bool = False
    # the first frame of a new source (a publisher restart): timestamps start afresh
    discontinuity: bool = False


def pack_frame(frame: MediaFrame) -> bytes:
    """One feed record."""
    flags = (_KEY if frame.keyframe else 0) | (_BREAK if frame.discontinuity else 0)
    head = _HEADER.pack(_CODES[frame.kind], flags, frame.pts, len(frame.data))
    return head + frame.data


class FeedReader:
    """Parses feed records out of arbitrary chunks."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[MediaFrame]:
        """The records completed by `chunk`."""
        self._buf += chunk
        out: list[MediaFrame] = []
        pos = 0
        while len(self._buf) - pos >= _HEADER.size:
            code, flags, pts, size = _HEADER.unpack_from(self._buf, pos)
            if code not in _KINDS or size > MAX_FRAME:
                raise FeedError(f"bad feed record (kind {code}, {size} bytes)")
            end = pos + _HEADER.size + size
            if end > len(self._buf):
                break
            data = bytes(self._buf[pos + _HEADER.size : end])
            out.append(
                MediaFrame(_KINDS[code], pts, data, bool(flags & _KEY), bool(flags & _BREAK))
            )
            pos = end
        del self._buf[:pos]
        return out
