"""Which ffmpeg runs: `ffmpeg` on PATH, or exactly SENDER_FFMPEG_EXECUTABLE (whole process)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sender_common.errors import ConfigurationError

_VAR = "SENDER_FFMPEG_EXECUTABLE"


def resolve_ffmpeg(configured: str | None = None) -> str:
    """The absolute path of the ffmpeg to run; a clear error naming the variable otherwise."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigurationError(f"{_VAR}={configured!r}: no such file")
        if not os.access(path, os.X_OK):
            raise ConfigurationError(f"{_VAR}={configured!r}: not executable")
        return str(path.resolve())
    found = shutil.which("ffmpeg")
    if found is None:
        raise ConfigurationError(
            f"ffmpeg was not found on PATH; install it or set {_VAR} to its exact path"
        )
    return found


def resolve_ffprobe(ffmpeg: str) -> str | None:
    """ffprobe beside the resolved ffmpeg, else on PATH (tests and tools only)."""
    sibling = Path(ffmpeg).with_name("ffprobe")
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which("ffprobe")
