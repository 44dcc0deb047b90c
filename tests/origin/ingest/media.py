"""Test media: a still-picture encoder whose RTMP output uses type-3 new-message headers,
and an FLV tag reader (FLV spec v10.1, E.3/E.4) to compare ingest with ffmpeg's own file."""

from __future__ import annotations

from pathlib import Path

from sender_common.ffmpeg import resolve_ffmpeg


def still_argv(seconds: int, *, gop: int = 60, readrate: float | None = None) -> list[str]:
    """A gray 320x180 30 fps picture (equal-sized frames) and constant-size AAC silence, as FLV;
    as fast as ffmpeg goes, or `readrate` times real time."""
    rate = ("-readrate", str(readrate)) if readrate is not None else ()
    return [
        resolve_ffmpeg(),
        *("-hide_banner", "-nostats", "-loglevel", "error"),
        *(*rate, "-f", "lavfi", "-i", "color=c=gray:s=320x180:r=30"),
        *(*rate, "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo"),
        *("-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *("-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"),
        *("-c:a", "aac", "-b:a", "64k", "-f", "flv"),
    ]


def flv_tags(path: Path) -> list[tuple[int, int, int]]:
    """(tag type, timestamp ms, payload size) of every audio and video tag in `path`."""
    data = path.read_bytes()
    assert data[:3] == b"FLV"
    pos = int.from_bytes(data[5:9], "big") + 4
    tags = []
    while pos + 11 <= len(data):
        tag_type = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        ts = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        if tag_type in (8, 9):
            tags.append((tag_type, ts, size))
        pos += 11 + size + 4
    return tags
