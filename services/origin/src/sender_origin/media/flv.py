"""FLV framing of RTMP media messages (FLV spec v10.1, E.4.1)."""

from __future__ import annotations

import struct

FLV_HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"
TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18


def flv_tag(tag_type: int, timestamp: int, payload: bytes) -> bytes:
    """One FLV tag followed by its PreviousTagSize."""
    size = len(payload)
    ts = timestamp & 0xFFFFFFFF
    header = (
        bytes([tag_type])
        + size.to_bytes(3, "big")
        + (ts & 0xFFFFFF).to_bytes(3, "big")
        + bytes([(ts >> 24) & 0xFF])
        + b"\x00\x00\x00"
    )
    return header + payload + struct.pack(">I", 11 + size)


def is_sequence_header(tag_type: int, payload: bytes) -> bool:
    """AVC/HEVC decoder configuration or AAC AudioSpecificConfig (needed to restart a decoder)."""
    if tag_type == TAG_VIDEO:
        return len(payload) > 1 and (payload[0] & 0x0F) in (7, 12) and payload[1] == 0
    if tag_type == TAG_AUDIO:
        return len(payload) > 1 and (payload[0] >> 4) == 10 and payload[1] == 0
    return False


def is_keyframe(tag_type: int, payload: bytes) -> bool:
    return tag_type == TAG_VIDEO and len(payload) > 0 and (payload[0] >> 4) == 1
