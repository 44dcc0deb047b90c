"""MPEG-TS packet boundaries (ISO/IEC 13818-1 §2.4.3): where a fresh demuxer may start."""

from __future__ import annotations

__all__ = ["PACKET_SIZE", "SYNC_BYTE", "resume_offset"]

PACKET_SIZE = 188
SYNC_BYTE = 0x47
PAT_PID = 0


def _aligned_at(data: bytes, offset: int) -> bool:
    """A sync byte at `offset` and at the next packet's start (or the end of `data`)."""
    if data[offset] != SYNC_BYTE:
        return False
    nxt = offset + PACKET_SIZE
    return nxt >= len(data) or data[nxt] == SYNC_BYTE


def _sync(data: bytes, start: int) -> int | None:
    for offset in range(start, len(data)):
        if _aligned_at(data, offset):
            return offset
    return None


def resume_offset(data: bytes) -> int | None:
    """The offset of the first whole packet that starts a PAT (PID 0, payload unit start):
    muxers repeat the PAT/PMT before keyframes, so a demuxer started there finds the programme
    table at once. None when `data` holds no such packet."""
    offset = _sync(data, 0)
    while offset is not None and offset + 3 < len(data):
        if data[offset] != SYNC_BYTE:  # lost sync: find the next aligned packet
            offset = _sync(data, offset + 1)
            continue
        pid = ((data[offset + 1] & 0x1F) << 8) | data[offset + 2]
        if pid == PAT_PID and data[offset + 1] & 0x40:
            return offset
        offset += PACKET_SIZE
    return None
