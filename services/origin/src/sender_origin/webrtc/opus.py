"""AAC to Opus, once per stream (WebRTC players take Opus, RTMP publishers send AAC).

PyAV (FFmpeg's libraries, which aiortc needs anyway) decodes the publisher's AAC frames
and libopus encodes 20 ms packets, in-process: a stream's audio costs well under 1 % of a
core, less than a supervised ffmpeg and its pipes would, and dies with the publish.
"""

from __future__ import annotations

import logging
from fractions import Fraction

import av
from av.audio.resampler import AudioResampler

from sender_common.webrtc import AUDIO_CLOCK

log = logging.getLogger(__name__)
OPUS_FRAME = 960  # 20 ms at 48 kHz
OPUS_BITRATE = 96_000


class AacToOpus:
    """Decodes raw AAC frames (with their AudioSpecificConfig) into timed Opus packets."""

    def __init__(self, config: bytes) -> None:
        self.decoder = av.CodecContext.create("aac", "r")
        self.decoder.extradata = config
        self.resampler = AudioResampler(
            format="s16", layout="stereo", rate=AUDIO_CLOCK, frame_size=OPUS_FRAME
        )
        encoder = av.CodecContext.create("libopus", "w")
        assert isinstance(encoder, av.AudioCodecContext)
        encoder.sample_rate = AUDIO_CLOCK
        encoder.layout = "stereo"
        encoder.format = "s16"
        encoder.bit_rate = OPUS_BITRATE
        encoder.time_base = Fraction(1, AUDIO_CLOCK)
        encoder.options = {"application": "lowdelay", "frame_duration": "20"}
        self.encoder = encoder
        self._anchor: int | None = None  # 48 kHz time of the first sample, from the source
        self._samples = 0

    def push(self, raw: bytes, timestamp_ms: int) -> list[tuple[int, bytes]]:
        """(pts on the 48 kHz clock, Opus packet) for everything this frame completes."""
        if self._anchor is None:
            self._anchor = timestamp_ms * (AUDIO_CLOCK // 1000)
        packet = av.Packet(raw)
        out: list[tuple[int, bytes]] = []
        try:
            frames = self.decoder.decode(packet)
        except av.FFmpegError as exc:  # one bad frame is dropped, the stream goes on
            log.debug("aac frame not decoded: %s", exc)
            return out
        for frame in frames:
            frame.pts = None
            for chunk in self.resampler.resample(frame):
                chunk.pts = self._samples
                chunk.time_base = Fraction(1, AUDIO_CLOCK)
                self._samples += chunk.samples
                for encoded in self.encoder.encode(chunk):
                    pts = encoded.pts if encoded.pts is not None else self._samples
                    out.append((self._anchor + max(0, pts), bytes(encoded)))
        return out
