"""ffmpeg: resolving the executable once and building argv lists."""

from sender_common.ffmpeg.command import (
    CmafOutput,
    build_cmaf_command,
    build_test_publisher_command,
)
from sender_common.ffmpeg.resolve import resolve_ffmpeg, resolve_ffprobe

__all__ = [
    "CmafOutput",
    "build_cmaf_command",
    "build_test_publisher_command",
    "resolve_ffmpeg",
    "resolve_ffprobe",
]
