"""Watch a publisher's keyframe interval against the HLS segment target.

A segment can only be cut at a keyframe, so a keyframe interval longer than the target
stretches every segment (and the playlist's TARGETDURATION, and the latency) to it.
"""

from __future__ import annotations

import logging
import math
from collections import deque

from sender_origin.media.flv import TAG_VIDEO, is_keyframe, is_sequence_header

log = logging.getLogger(__name__)
_RECENT = 8
_TOLERANCE = 1.05  # a frame or two of jitter (29.97 fps, rounding) is not a finding


class KeyframeMonitor:
    """Fed every FLV tag of one publish; measures the recent keyframe interval."""

    def __init__(self, target_seconds: float, name: str) -> None:
        self.target_seconds = target_seconds
        self.name = name
        self._last: int | None = None
        self._recent: deque[float] = deque(maxlen=_RECENT)
        self._warned = False

    def feed(self, tag_type: int, timestamp: int, payload: bytes) -> None:
        if tag_type != TAG_VIDEO or not is_keyframe(tag_type, payload):
            return
        if is_sequence_header(tag_type, payload):
            return
        if self._last is not None and timestamp > self._last:
            self._recent.append((timestamp - self._last) / 1000)
            if self.too_long and not self._warned:
                self._warned = True
                log.warning("%s: %s", self.name, self.warnings[0])
        self._last = timestamp

    @property
    def interval_seconds(self) -> float | None:
        """The longest of the recent keyframe intervals (None until two keyframes)."""
        return round(max(self._recent), 3) if self._recent else None

    @property
    def too_long(self) -> bool:
        interval = self.interval_seconds
        return interval is not None and interval > self.target_seconds * _TOLERANCE

    @property
    def warnings(self) -> list[str]:
        if not self.too_long:
            return []
        advice = max(1, min(2, math.floor(self.target_seconds)))
        return [
            f"keyframe interval is {self.interval_seconds:g} s, longer than the "
            f"{self.target_seconds:g} s HLS segment target: segments stretch to it and latency "
            f"grows; set the encoder's keyframe interval to {advice} s "
            f"(OBS: Settings > Output > Keyframe Interval)"
        ]
