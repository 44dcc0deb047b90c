"""One publish's FLV tags (FLV spec v10.1, E.4.2-E.4.3) as encoded frames in the hub.

Video: AVC NAL units (length-prefixed, ISO/IEC 14496-15) become Annex B access units, with
the sequence header's SPS and PPS before every IDR. Audio: AAC through `AacToOpus`. Taken
straight from the ingest, before ffmpeg and the packager: a frame reaches viewers the moment
it arrives, not when its LL-HLS part completes. Nothing is converted while nobody watches.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sender_common.webrtc import VIDEO_CLOCK, MediaFrame, MediaHub
from sender_origin.media.flv import TAG_AUDIO, TAG_VIDEO

if TYPE_CHECKING:
    from sender_origin.webrtc.opus import AacToOpus

log = logging.getLogger(__name__)
START = b"\x00\x00\x00\x01"
AVC, AAC = 7, 10
NAL_SPS, NAL_IDR, NAL_AUD = 7, 5, 9


def parse_avc_config(record: bytes) -> tuple[int, list[bytes]]:
    """(NAL length size, [SPS..., PPS...]) of an AVCDecoderConfigurationRecord."""
    if len(record) < 7:
        raise ValueError("short AVC configuration")
    length_size = (record[4] & 0x03) + 1
    units: list[bytes] = []
    pos = 5
    for _ in range(2):  # the SPS list, then the PPS list
        count = record[pos] & (0x1F if not units else 0xFF)
        pos += 1
        for _ in range(count):
            size = int.from_bytes(record[pos : pos + 2], "big")
            units.append(record[pos + 2 : pos + 2 + size])
            pos += 2 + size
        if pos >= len(record):
            break
    return length_size, units


def annex_b(data: bytes, length_size: int) -> tuple[list[bytes], set[int]]:
    """The NAL units of length-prefixed `data`, and their types."""
    units, types, pos = [], set(), 0
    while pos + length_size <= len(data):
        size = int.from_bytes(data[pos : pos + length_size], "big")
        pos += length_size
        unit = data[pos : pos + size]
        pos += size
        if unit:
            units.append(unit)
            types.add(unit[0] & 0x1F)
    return units, types


class FlvSource:
    """Converts the tags of one publish of `slug` and publishes the frames to `hub`."""

    def __init__(self, hub: MediaHub, slug: str) -> None:
        self.hub = hub
        self.slug = slug
        self._length_size = 4
        self._params: list[bytes] = []
        self._aac_config: bytes | None = None
        self._opus: AacToOpus | None = None
        self._fresh = {"video", "audio"}  # kinds whose next frame starts a new source

    def tag(self, tag_type: int, timestamp: int, payload: bytes) -> None:
        """The ingest's tap: one FLV tag."""
        try:
            if tag_type == TAG_VIDEO and len(payload) > 5 and payload[0] & 0x0F == AVC:
                self._video(timestamp, payload)
            elif tag_type == TAG_AUDIO and len(payload) > 2 and payload[0] >> 4 == AAC:
                self._audio(timestamp, payload)
        except (ValueError, IndexError) as exc:
            log.debug("%s: tag not converted for WebRTC: %s", self.slug, exc)

    def _emit(self, kind: str, pts: int, data: bytes, keyframe: bool) -> None:
        fresh = kind in self._fresh
        self._fresh.discard(kind)
        self.hub.publish(self.slug, MediaFrame(kind, pts, data, keyframe, fresh))

    def _video(self, timestamp: int, payload: bytes) -> None:
        if payload[1] == 0:
            self._length_size, self._params = parse_avc_config(payload[5:])
            return
        if payload[1] != 1 or not self.hub.wanted(self.slug):
            return
        cts = int.from_bytes(payload[2:5], "big", signed=True)
        units, types = annex_b(payload[5:], self._length_size)
        units = [u for u in units if u[0] & 0x1F != NAL_AUD]
        key = NAL_IDR in types
        if key and NAL_SPS not in types:
            units = [*self._params, *units]
        if units:
            au = b"".join(START + u for u in units)
            self._emit("video", (timestamp + cts) * (VIDEO_CLOCK // 1000), au, key)

    def _audio(self, timestamp: int, payload: bytes) -> None:
        if payload[1] == 0:
            self._aac_config, self._opus = payload[2:], None
            return
        if not self.hub.wanted(self.slug) or self._aac_config is None:
            self._opus = None  # free the codecs while nobody listens
            return
        if self._opus is None:
            from sender_origin.webrtc.opus import AacToOpus  # PyAV, once a viewer listens

            self._opus = AacToOpus(self._aac_config)
        for pts, packet in self._opus.push(payload[2:], timestamp):
            self._emit("audio", pts, packet, True)
