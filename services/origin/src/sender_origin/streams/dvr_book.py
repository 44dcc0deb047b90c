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

from sender_common.hls.playlist.dvr_playlist import DvrEntry, DvrTrack, append_entry, read_entries
from sender_common.hls.playlist.master import MasterPlaylist, Variant, write_master_playlist
from sender_common.hls.playlist.segments import LiveSegment
from sender_common.models import RenditionSpec
from sender_origin.streams.live import bandwidth
from sender_origin.streams.packager import SegmentHook

log = logging.getLogger(__name__)
RECENT = 8  # entries of a rendition recorded at once are among its last few


class DvrBook:
    """Kept segments by (endpoint, rendition), oldest first."""

    def __init__(self, spool_dir: Path) -> None:
        self.spool_dir = spool_dir
        self._tracks: dict[tuple[str, str], DvrTrack] = {}
        self._pending: dict[tuple[str, str], list[DvrEntry]] = {}  # recorded while loading
        self._load_lock = asyncio.Lock()

    async def record(self, slug: str, generation: int, rendition: str, entry: DvrEntry) -> None:
        folder = self.spool_dir / slug / str(generation) / rendition
        try:
            await asyncio.to_thread(append_entry, folder, entry)
        except OSError as exc:
            log.warning("%s: DVR index not written: %s", slug, exc)
            return
        key = (slug, rendition)
        track = self._tracks.get(key)
        if track is not None:
            # a read-back that ran while the line was written may hold the entry already
            if all(e.uri != entry.uri for e in track.entries[-RECENT:]):
                track.append(entry)
        elif key in self._pending:
            self._pending[key].append(entry)

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

    async def track(self, slug: str, rendition: str) -> DvrTrack:
        """A rendition's kept segments, read back from the spool (off the loop) on first use."""
        key = (slug, rendition)
        track = self._tracks.get(key)
        if track is not None:
            return track
        async with self._load_lock:
            track = self._tracks.get(key)
            if track is not None:
                return track
            pending = self._pending.setdefault(key, [])
            try:
                found = await asyncio.to_thread(self._read, slug, rendition)
            finally:
                del self._pending[key]
            seen = {e.uri for e in found}
            track = DvrTrack(found + [e for e in pending if e.uri not in seen])
            self._tracks[key] = track
            return track

    def _read(self, slug: str, rendition: str) -> list[DvrEntry]:
        found: list[DvrEntry] = []
        for gen_dir in _generation_dirs(self.spool_dir / slug):
            found.extend(read_entries(gen_dir / rendition))
        return found

    def forget(self, slug: str, generation: int | None = None) -> None:
        """Drop an endpoint's entries (or one generation's, whose spool is gone)."""
        for key in [k for k in self._tracks if k[0] == slug]:
            if generation is None:
                del self._tracks[key]
                continue
            old = self._tracks[key]
            prefix = f"{generation}/"
            kept = [i for i, e in enumerate(old.entries) if not e.uri.startswith(prefix)]
            # the breaks before the first kept segment stay counted: a player's timeline holds
            before = old.breaks_through(kept[0]) if kept else 0
            self._tracks[key] = DvrTrack([old.entries[i] for i in kept], breaks_before=before)

    async def render(
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
            if not (await self.track(slug, names[0])).entries:
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
        track = await self.track(slug, rendition)
        return track.render(time.time() - window_seconds, prefix=prefix, ended=ended)


def _generation_dirs(folder: Path) -> list[Path]:
    try:
        dirs = [p for p in folder.iterdir() if p.is_dir() and p.name.isdigit() and p.name != "0"]
    except OSError:
        return []
    return sorted(dirs, key=lambda p: int(p.name))
