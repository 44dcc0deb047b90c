"""Files other processes read while they are written (sync; call through asyncio.to_thread)."""

from __future__ import annotations

__all__ = ["write_atomic"]

import os
import threading
from pathlib import Path


def write_atomic(path: Path, body: bytes) -> int:
    """Write `body` to a temporary file beside `path`, then rename it over `path`, so a reader
    sees the old file or the new one, never half of one; returns the new file's mtime_ns.
    The temporary name carries the process and thread, so two writers never share it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(body)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path.stat().st_mtime_ns
