"""The latency bench's clock frames: the time survives x264, and misreads are rejected."""

from __future__ import annotations

import subprocess

import pytest

from bench.latency_clock import (
    COLS,
    ROWS,
    ClockStream,
    clock_bits,
    decode_bits,
    encoder_argv,
    frame,
)
from sender_common.ffmpeg import resolve_ffmpeg

W, H = 320, 180
BLOCK = W // COLS
MS = 1_764_000_000_123
RAW_GRAY = ["-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]


def read_bits(gray: bytes, width: int = W) -> list[int]:
    """Threshold the middle of each block, the way latency_probe.js does."""
    bits = []
    for i in range(COLS * ROWS):
        r, c = divmod(i, COLS)
        rows = range(r * BLOCK + BLOCK // 4, r * BLOCK + 3 * BLOCK // 4)
        cols = range(c * BLOCK + BLOCK // 4, c * BLOCK + 3 * BLOCK // 4)
        values = [gray[y * width + x] for y in rows for x in cols]
        bits.append(1 if sum(values) / len(values) >= 128 else 0)
    return bits


def test_frame_round_trip() -> None:
    pixels = frame(MS, W, H)
    assert len(pixels) == W * H
    assert decode_bits(read_bits(pixels)) == MS


@pytest.mark.parametrize("flipped", [0, 7, 8, 30, 55, 56, 63])
def test_any_single_misread_bit_is_rejected(flipped: int) -> None:
    bits = clock_bits(MS)
    bits[flipped] ^= 1
    assert decode_bits(bits) is None


def test_a_plain_gray_frame_is_not_a_clock() -> None:
    assert decode_bits(read_bits(bytes([0x80]) * (W * H))) is None
    assert decode_bits([0] * 64) is None


def test_times_survive_an_x264_encode() -> None:
    """Ten frames through the publisher's encoder settings decode to the times they carry."""
    times = [MS + 33 * i for i in range(10)]
    argv = encoder_argv(resolve_ffmpeg(), ClockStream(), "pipe:1", fmt="mpegts", audio_seconds=1)
    encoded = subprocess.run(
        argv, input=b"".join(frame(t, W, H) for t in times), capture_output=True, timeout=30
    ).stdout
    decoded = subprocess.run(
        [resolve_ffmpeg(), "-loglevel", "error", "-i", "pipe:0", "-map", "0:v", *RAW_GRAY],
        input=encoded,
        capture_output=True,
        timeout=30,
    ).stdout
    frames = [decoded[i : i + W * H] for i in range(0, len(decoded), W * H)]
    assert [decode_bits(read_bits(f)) for f in frames] == times
