"""Where a fresh demuxer may start reading a live MPEG-TS (ISO/IEC 13818-1): at a video
keyframe, with the programme tables (PAT, PMT) it needs put in front of it.

A remuxing ffmpeg that starts mid-GOP copies audio before the first video keyframe; the
fragments it writes then lack the video track. Starting at a keyframe avoids that.
"""

from __future__ import annotations

__all__ = ["PACKET_SIZE", "SYNC_BYTE", "TsResume"]

from collections.abc import Iterator

PACKET_SIZE = 188
SYNC_BYTE = 0x47
PAT_PID = 0
# stream_type values of video elementary streams (§2.4.4.10 table 2-34, and H.264/HEVC/AV1)
VIDEO_TYPES = frozenset({0x01, 0x02, 0x10, 0x1B, 0x24, 0x33, 0xEA})


def _aligned_at(data: bytes, offset: int) -> bool:
    """A sync byte at `offset` and at the next packet's start (or the end of `data`)."""
    if data[offset] != SYNC_BYTE:
        return False
    nxt = offset + PACKET_SIZE
    return nxt >= len(data) or data[nxt] == SYNC_BYTE


def packets(data: bytes) -> Iterator[int]:
    """Offsets of the whole packets in `data`, regaining sync after torn ones."""
    offset = 0
    while offset + PACKET_SIZE <= len(data):
        if _aligned_at(data, offset):
            yield offset
            offset += PACKET_SIZE
        else:
            offset += 1


def _pid(pkt: bytes) -> int:
    return ((pkt[1] & 0x1F) << 8) | pkt[2]


def _unit_start(pkt: bytes) -> bool:
    return bool(pkt[1] & 0x40)


def _payload(pkt: bytes) -> bytes:
    control = (pkt[3] >> 4) & 0x3
    start = 4 + (1 + pkt[4] if control & 0x2 else 0)
    return pkt[start:] if control & 0x1 else b""


def _random_access(pkt: bytes) -> bool:
    """The adaptation field's random_access_indicator (§2.4.3.5)."""
    return bool((pkt[3] >> 4) & 0x2 and pkt[4] > 0 and pkt[5] & 0x40)


def _section(pkt: bytes, table_id: int) -> bytes | None:
    """A PSI section that starts in this packet, without its CRC (§2.4.4)."""
    payload = _payload(pkt)
    if not payload:
        return None
    sec = payload[1 + payload[0] :]  # after the pointer_field
    if len(sec) < 3 or sec[0] != table_id:
        return None
    length = ((sec[1] & 0x0F) << 8) | sec[2]
    return sec[: 3 + length - 4] if 3 + length <= len(sec) else None


def pmt_pid(pkt: bytes) -> int | None:
    """The PMT PID of the first programme in a PAT packet."""
    sec = _section(pkt, 0x00)
    if sec is None:
        return None
    for i in range(8, len(sec) - 3, 4):
        if (sec[i] << 8 | sec[i + 1]) != 0:  # programme 0 is the network PID
            return ((sec[i + 2] & 0x1F) << 8) | sec[i + 3]
    return None


def video_pid(pkt: bytes) -> int | None:
    """The first video elementary stream's PID in a PMT packet (-1: there is no video)."""
    sec = _section(pkt, 0x02)
    if sec is None or len(sec) < 12:
        return None
    i = 12 + (((sec[10] & 0x0F) << 8) | sec[11])
    while i + 5 <= len(sec):
        if sec[i] in VIDEO_TYPES:
            return ((sec[i + 1] & 0x1F) << 8) | sec[i + 2]
        i += 5 + (((sec[i + 3] & 0x0F) << 8) | sec[i + 4])
    return -1


class TsResume:
    """Follows a stream's PAT and PMT; `start(data)` gives the bytes a fresh demuxer should
    get first: the latest PAT and PMT, then `data` from a video keyframe on (for a stream
    without video, from the first unit start after the tables). None: no place yet."""

    def __init__(self) -> None:
        self._pat: bytes | None = None
        self._pmt: bytes | None = None
        self._pmt_pid: int | None = None
        self._video_pid: int | None = None

    def start(self, data: bytes) -> bytes | None:
        for offset in packets(data):
            pkt = data[offset : offset + PACKET_SIZE]
            pid = _pid(pkt)
            if not _unit_start(pkt):
                continue
            if pid == PAT_PID:
                if (found := pmt_pid(pkt)) is not None:
                    self._pat, self._pmt_pid = pkt, found
            elif pid == self._pmt_pid:
                if (found := video_pid(pkt)) is not None:
                    self._pmt, self._video_pid = pkt, found
            elif self._pat is not None and self._pmt is not None:
                if self._video_pid == -1 or (pid == self._video_pid and _random_access(pkt)):
                    return self._pat + self._pmt + data[offset:]
        return None
