"""The keyframe monitor: measures the interval and warns once when it exceeds the target."""

from __future__ import annotations

import logging

import pytest

from sender_origin.media.keyframes import KeyframeMonitor

KEY = b"\x17\x01" + bytes(8)  # AVC keyframe NALU
INTER = b"\x27\x01" + bytes(8)
CONFIG = b"\x17\x00" + bytes(8)  # AVC sequence header, flagged as a keyframe


def feed_gop(monitor: KeyframeMonitor, gop_ms: int, count: int, fps: int = 30) -> None:
    monitor.feed(9, 0, CONFIG)
    frames = gop_ms * fps // 1000
    for i in range(frames * count + 1):
        ts = i * 1000 // fps
        monitor.feed(9, ts, KEY if i % frames == 0 else INTER)
        monitor.feed(8, ts, b"\xaf\x01" + bytes(4))


def test_a_gop_within_the_target_gives_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    monitor = KeyframeMonitor(2.0, "cam")
    assert monitor.interval_seconds is None
    feed_gop(monitor, 2000, 5)
    assert monitor.interval_seconds == 2.0
    assert monitor.warnings == []
    assert not caplog.records


def test_a_long_gop_warns_once_naming_the_interval_to_set(
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = KeyframeMonitor(2.0, "cam")
    with caplog.at_level(logging.WARNING, logger="sender_origin.media.keyframes"):
        feed_gop(monitor, 4000, 6)
    assert monitor.interval_seconds == 4.0
    [warning] = monitor.warnings
    assert "4 s" in warning and "keyframe interval to 2 s" in warning
    assert [r.getMessage() for r in caplog.records] == [f"cam: {warning}"]


@pytest.mark.parametrize(("target", "advice"), [(1.0, 1), (1.5, 1), (4.0, 2), (0.5, 1)])
def test_advice_is_one_or_two_seconds_within_the_target(target: float, advice: int) -> None:
    monitor = KeyframeMonitor(target, "cam")
    feed_gop(monitor, 10_000, 2)
    assert f"keyframe interval to {advice} s" in monitor.warnings[0]


def test_a_frame_of_jitter_is_not_a_finding() -> None:
    monitor = KeyframeMonitor(2.0, "cam")
    for ts in (0, 2002, 4004, 6006):
        monitor.feed(9, ts, KEY)
    assert monitor.warnings == []
