"""Is the spool usable: free space on its filesystem and a probe write."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def spool_free_bytes(spool_dir: Path) -> int:
    """Bytes available to this process on the spool's filesystem (0 when it cannot be read)."""
    try:
        st = os.statvfs(spool_dir)
    except OSError:
        return 0
    return st.f_bavail * st.f_frsize


def spool_writable(spool_dir: Path, min_free_bytes: int) -> bool:
    """At least `min_free_bytes` free and a small file can be written (not full, not read-only).

    ffmpeg does not report a full disk on stderr: its segments and playlists just stop
    appearing, so this is the place an operator (or a readiness probe) sees it.
    """
    if spool_free_bytes(spool_dir) < min_free_bytes:
        return False
    try:
        with tempfile.TemporaryFile(dir=spool_dir) as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
    except OSError:
        return False
    return True
