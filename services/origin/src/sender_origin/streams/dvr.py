"""The origin's DVR index: every kept segment per endpoint and rendition, across generations.

The packager reports each segment once its file is complete; the entry goes to the
generation's `dvr.jsonl` and to memory. After a restart the index is read back from the
spool on first use, so DVR playlists and recordings survive the process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from sender_common.hls.dvr import DvrEntry, append_entry, read_entries, render_dvr
from sender_common.hls.lowlatency import LiveSegment
from sender_common.hls.playlist import MasterPlaylist, Variant, write_master_playlist
from sender_common.models import RenditionSpec
from sender_origin.streams.live import bandwidth
from sender_origin.streams.packager import SegmentHook

log = logging.getLogger(__name__)


class DvrBook:
    """Kept segments by (endpoint, rendition), oldest first."""

    def __init__(self, spool_dir: Path) -> None:
        self.spool_dir = spool_dir
        self._entries: dict[tuple[str, str], list[DvrEntry]] = {}

    async def record(self, slug: str, generation: int, rendition: str, entry: DvrEntry) -> None:
        folder = self.spool_dir / slug / str(generation) / rendition
        try:
            await asyncio.to_thread(append_entry, folder, entry)
        except OSError as exc:
            log.warning("%s: DVR index not written: %s", slug, exc)
            return
        entries = self._entries.get((slug, rendition))
        if entries is not None:
            entries.append(entry)

    def hook(
        self, slug: str, generation: int, count: Callable[[], None]
    ) -> Callable[[str], SegmentHook]:
        """The packagers' segment hook for one publish: count it, index it."""

        def for_rendition(rendition: str) -> SegmentHook:
            async def on_segment(seg: LiveSegment, size: int) -> None:
                count()
                entry = DvrEntry(
                    seg.msn,
                    seg.uri,
                    seg.map_uri or "",
                    seg.duration,
                    seg.pdt if seg.pdt is not None else time.time() - seg.duration,
                    size,
                    seg.discontinuity,
                )
                await self.record(slug, generation, rendition, entry)

            return on_segment

        return for_rendition

    def entries(self, slug: str, rendition: str) -> list[DvrEntry]:
        key = (slug, rendition)
        found = self._entries.get(key)
        if found is None:
            found = []
            for gen_dir in _generation_dirs(self.spool_dir / slug):
                found.extend(read_entries(gen_dir / rendition))
            self._entries[key] = found
        return found

    def forget(self, slug: str, generation: int | None = None) -> None:
        """Drop an endpoint's entries (or one generation's, whose spool is gone)."""
        for key in [k for k in self._entries if k[0] == slug]:
            if generation is None:
                del self._entries[key]
            else:
                prefix = f"{generation}/"
                self._entries[key] = [e for e in self._entries[key] if not e.uri.startswith(prefix)]

    def render(
        self,
        slug: str,
        name: str,
        renditions: list[RenditionSpec],
        window_seconds: float,
        *,
        ended: bool,
    ) -> bytes | None:
        """`dvr.m3u8` (a master for ladders) or `dvr/{rendition}.m3u8`; None when empty."""
        names = [r.name for r in renditions]
        if window_seconds <= 0:
            return None
        if name == "dvr.m3u8" and len(names) > 1:
            if not self.entries(slug, names[0]):
                return None
            master = MasterPlaylist(
                variants=[
                    Variant(f"dvr/{r.name}.m3u8", bandwidth(r), name=r.name) for r in renditions
                ],
                independent_segments=True,
            )
            return write_master_playlist(master).encode()
        if name == "dvr.m3u8":
            rendition, prefix = names[0], ""
        elif name.startswith("dvr/") and name.endswith(".m3u8") and name[4:-5] in names:
            rendition, prefix = name[4:-5], "../"
        else:
            return None
        entries = self.entries(slug, rendition)
        start = time.time() - window_seconds
        window = [e for e in entries if e.pdt + e.duration >= start]
        if not window:
            return None
        trimmed = len(window) < len(entries)
        return render_dvr(window, prefix=prefix, ended=ended, trimmed=trimmed).encode()


def _generation_dirs(folder: Path) -> list[Path]:
    try:
        dirs = [p for p in folder.iterdir() if p.is_dir() and p.name.isdigit() and p.name != "0"]
    except OSError:
        return []
    return sorted(dirs, key=lambda p: int(p.name))
