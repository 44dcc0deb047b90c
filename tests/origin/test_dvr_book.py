"""The origin's DVR index read back from the spool after a restart (no processes needed)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sender_common.hls.playlist.dvr_playlist import DvrEntry, append_entry
from sender_common.models import RenditionSpec
from sender_origin.streams.dvr_book import DvrBook


def _entry(gen: int, i: int, now: float) -> DvrEntry:
    return DvrEntry(gen * 1000 + i, f"{gen}/src/seg{i}.m4s", f"{gen}/src/init.mp4", 2.0,
                    now - 60 + 2 * (gen * 10 + i), 10)  # fmt: skip


async def test_index_read_back_keeps_entries_recorded_while_loading(tmp_path: Path) -> None:
    now = time.time()
    for gen in (1, 2):
        folder = tmp_path / "cam" / str(gen) / "src"
        folder.mkdir(parents=True)
        for i in range(3):
            append_entry(folder, _entry(gen, i, now))
    book = DvrBook(tmp_path)
    spec = [RenditionSpec(name="src")]
    # a segment reported while the first request reads the index back is not lost
    loading = asyncio.ensure_future(book.render("cam", "dvr.m3u8", spec, 3600, ended=False))
    await asyncio.sleep(0)  # the render is now reading the index in a thread
    await book.record("cam", 2, "src", _entry(2, 3, now))
    body = await loading
    assert body is not None
    again = await book.render("cam", "dvr.m3u8", spec, 3600, ended=False)
    assert again is not None and again.count(b".m4s") == 7 and b"2/src/seg3.m4s" in again
    assert again.count(b"#EXT-X-DISCONTINUITY\n") == 1  # generation 1 to 2
    # generation 1 removed: its break left the window, and is still counted
    book.forget("cam", 1)
    later = await book.render("cam", "dvr.m3u8", spec, 3600, ended=True)
    assert later is not None and b"#EXT-X-DISCONTINUITY-SEQUENCE:1\n" in later
    assert b"1/src/" not in later and later.endswith(b"#EXT-X-ENDLIST\n")


async def test_an_entry_already_read_back_is_not_added_twice(tmp_path: Path) -> None:
    """The segment's line reached the file before a read-back ran, and the read-back made the
    track before `record` went on: the entry is in the track once."""
    now = time.time()
    folder = tmp_path / "cam" / "1" / "src"
    folder.mkdir(parents=True)
    for i in range(3):
        append_entry(folder, _entry(1, i, now))
    book = DvrBook(tmp_path)
    spec = [RenditionSpec(name="src")]
    assert (await book.track("cam", "src")).entries[-1].uri == "1/src/seg2.m4s"
    await book.record("cam", 1, "src", _entry(1, 2, now))  # its line is now in the file twice
    body = await book.render("cam", "dvr.m3u8", spec, 3600, ended=False)
    assert body is not None and body.count(b"1/src/seg2.m4s") == 1, body
    await book.record("cam", 1, "src", _entry(1, 3, now))
    body = await book.render("cam", "dvr.m3u8", spec, 3600, ended=False)
    assert body is not None and body.count(b".m4s") == 4, body
