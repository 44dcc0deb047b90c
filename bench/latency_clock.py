"""A wall-clock publisher for glass-to-glass latency: every video frame shows the time it was made.

Frame layout (gray, W x H, W a multiple of 16): the top of the frame is a band of 4 x 16 square
blocks, W/16 pixels each, black = 0 and white = 1, read left to right, top to bottom:

    bits  0..7   sync pattern 10110010 (rejects frames that are not clock frames at all)
    bits  8..55  the wall-clock time in milliseconds since the epoch (48 bits, MSB first)
    bits 56..63  CRC-8 (polynomial 0x07) of those 6 bytes (rejects misreads)

The rest of the frame is mid gray. A reader samples the middle half of each block and rejects
the frame when any block is neither clearly black nor clearly white (`latency_probe.js`).

Run as a script it writes raw frames to stdout, paced to real time; `clock_publisher` pipes
that into ffmpeg (x264 ultrafast/zerolatency, fixed 2 s GOP, sine AAC) publishing RTMP.

    python bench/latency_clock.py --fps 30 --size 320x180 | ffmpeg -f rawvideo ...
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from sender_common.process.pdeathsig import child_setup

SYNC = 0b10110010
COLS, ROWS = 16, 4
GRAY = 0x80


def crc8(data: bytes) -> int:
    """CRC-8 with polynomial 0x07, initial value 0 (the reader computes the same)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def clock_bits(ms: int) -> list[int]:
    """The 64 bits a frame made at `ms` carries."""
    payload = (ms & (2**48 - 1)).to_bytes(6, "big")
    word = (SYNC << 56) | (int.from_bytes(payload, "big") << 8) | crc8(payload)
    return [(word >> (63 - i)) & 1 for i in range(64)]


def decode_bits(bits: list[int]) -> int | None:
    """The time in `bits`, or None when the sync pattern or the checksum does not match."""
    word = 0
    for bit in bits:
        word = (word << 1) | bit
    if word >> 56 != SYNC:
        return None
    payload = ((word >> 8) & (2**48 - 1)).to_bytes(6, "big")
    return int.from_bytes(payload, "big") if crc8(payload) == word & 0xFF else None


def frame(ms: int, width: int, height: int) -> bytes:
    """One gray frame (width*height bytes) carrying `ms`."""
    block = width // COLS
    bits = clock_bits(ms)
    rows = []
    for r in range(ROWS):
        line = b"".join((b"\xff" if bits[r * COLS + c] else b"\x00") * block for c in range(COLS))
        rows.append(line * block)
    band = b"".join(rows)
    return band + bytes([GRAY]) * (width * height - len(band))


@dataclass(frozen=True)
class ClockStream:
    fps: int = 30
    width: int = 320
    height: int = 180
    gop_seconds: int = 2


def encoder_argv(
    ffmpeg: str, stream: ClockStream, url: str, *, fmt: str = "flv", audio_seconds: float = 0
) -> list[str]:
    """ffmpeg reading clock frames on stdin and publishing H.264 + AAC as `fmt` to `url`
    (the sine runs for `audio_seconds`, 0 = for ever)."""
    gop = str(stream.fps * stream.gop_seconds)
    sine = "sine=frequency=440:sample_rate=44100"
    if audio_seconds:
        sine += f":duration={audio_seconds:g}"
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "rawvideo", "-pix_fmt", "gray", "-video_size", f"{stream.width}x{stream.height}",
        "-framerate", str(stream.fps), "-i", "pipe:0",
        "-f", "lavfi", "-i", sine,
        "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k", "-ar", "44100",
        "-f", fmt, url,
    ]  # fmt: skip


@dataclass
class ClockPublisher:
    """The frame generator piped into ffmpeg; `started_ms` is when publishing began."""

    generator: subprocess.Popen[bytes]
    encoder: subprocess.Popen[bytes]
    started_ms: float

    def stop(self) -> None:
        for p in (self.generator, self.encoder):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)

    def alive(self) -> bool:
        return self.generator.poll() is None and self.encoder.poll() is None


def clock_publisher(ffmpeg: str, url: str, stream: ClockStream) -> ClockPublisher:
    """Start generator | ffmpeg, each in its own process group."""
    started_ms = time.time() * 1000
    size = f"{stream.width}x{stream.height}"
    gen = subprocess.Popen(
        [sys.executable, __file__, "--fps", str(stream.fps), "--size", size],
        stdout=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=functools.partial(child_setup, os.getpid()),  # dies with this process
    )
    enc = subprocess.Popen(
        encoder_argv(ffmpeg, stream, url),
        stdin=gen.stdout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=functools.partial(child_setup, os.getpid()),
    )
    assert gen.stdout is not None
    gen.stdout.close()  # ffmpeg holds the read end; the generator sees EPIPE if it exits
    return ClockPublisher(gen, enc, started_ms)


def generate(fps: int, width: int, height: int) -> None:
    """Write clock frames to stdout at `fps`, each stamped when it is written."""
    out = sys.stdout.buffer
    start = time.monotonic()
    n = 0
    while True:
        delay = start + n / fps - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing to real time, not synchronisation
        out.write(frame(round(time.time() * 1000), width, height))
        out.flush()
        n += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--size", default="320x180")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    if width % COLS or width // COLS * ROWS > height:
        raise SystemExit("--size: width must be a multiple of 16 and leave room for the band")
    try:
        generate(args.fps, width, height)
    except (BrokenPipeError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
