"""aiortc tracks that send already-encoded frames: no decoding, no encoding per viewer.

aiortc's `RTCRtpSender` packetises what a track's `recv()` returns; given an `av.Packet`
rather than a decoded frame it skips its encoder and only splits the bytes into RTP
payloads (H.264 FU-A/STAP-A, one Opus packet per RTP packet), timed by the packet's pts.
Each track rebases the source's timestamps onto one rising timeline of its own, so a
publisher restart (timestamps from zero again) continues the RTP stream without a
renegotiation: the viewer's decoder restarts at the new source's first keyframe.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from sender_common.webrtc.frames import AUDIO_CLOCK, VIDEO_CLOCK, MediaFrame
from sender_common.webrtc.hub import MediaHub, Subscription

__all__ = ["EncodedTrack", "Rebase"]

_BACK_LIMIT = 1.0  # seconds a timestamp may step back (reordered frames) before it is a break
_JUMP_LIMIT = 5.0  # seconds it may jump forward before it is a break


class Rebase:
    """Maps a source's timestamps onto a rising output timeline (breaks become one step)."""

    def __init__(self, clock: int, step: int) -> None:
        self.clock = clock
        self.step = step
        self.offset: int | None = None
        self.last_in = 0
        self.last_out = -step

    def __call__(self, pts: int, *, discontinuity: bool = False) -> int:
        delta = pts - self.last_in
        broken = delta < -_BACK_LIMIT * self.clock or delta > _JUMP_LIMIT * self.clock
        if self.offset is None or discontinuity or broken:
            self.offset = self.last_out + self.step - pts
        self.last_in = pts
        out = pts + self.offset
        self.last_out = max(self.last_out, out)
        return out


class EncodedTrack(MediaStreamTrack):
    """One kind of an endpoint's media from the hub, as encoded packets."""

    def __init__(self, hub: MediaHub, endpoint: str, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._hub = hub
        self._endpoint = endpoint
        self._sub: Subscription | None = None
        clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self._rebase = Rebase(clock, clock // 30 if kind == "video" else 960)
        self._time_base = Fraction(1, clock)
        self.frames = 0

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        if self._sub is None:  # subscribe once sending starts: nothing queues before
            self._sub = self._hub.open(self._endpoint, frozenset([self.kind]))
        frame: MediaFrame = await self._sub.get()
        packet = av.Packet(frame.data)
        packet.pts = self._rebase(frame.pts, discontinuity=frame.discontinuity)
        packet.time_base = self._time_base
        self.frames += 1
        return packet

    def stop(self) -> None:
        if self._sub is not None:
            self._hub.close(self._sub)
            self._sub = None
        super().stop()
