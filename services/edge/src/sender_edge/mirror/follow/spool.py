"""The edge's spool on disk (sync; call through asyncio.to_thread)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sender_common.files import write_atomic as write_atomic  # segments: temp, then rename


def older_files(endpoint_dir: Path, first: str) -> list[str]:
    """Delete segments a previous run left before `first` (`{gen}/{rendition}/{file}`)."""
    folder, _, name = first.rpartition("/")
    directory = endpoint_dir / folder
    if not directory.is_dir():
        return []
    removed = []
    for entry in directory.iterdir():
        older = (len(entry.name), entry.name) < (len(name), name)
        if older and entry.suffix == Path(name).suffix and not entry.name.startswith("."):
            entry.unlink(missing_ok=True)
            removed.append(f"{folder}/{entry.name}")
    return removed


def sweep_generations(endpoint_dir: Path, current: int | None, retention: float) -> list[str]:
    """Remove generation directories (not `current`) untouched for `retention` seconds."""
    if not endpoint_dir.is_dir():
        return []
    cutoff = time.time() - retention
    removed = []
    for entry in endpoint_dir.iterdir():
        if not entry.name.isdigit() or int(entry.name) == current:
            continue
        touched = max(p.stat().st_mtime for p in [entry, *entry.iterdir()])
        if touched < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed
