"""The slate loop puts a rendition folder's init section once, and again after the endpoint's
spool was dropped (a deleted endpoint whose slug comes back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.spoolcache import SpoolCache
from sender_common.models import RenditionSpec
from sender_common.settings import HlsConfig
from sender_origin.streams.live import LivePlaylists
from sender_origin.streams.slate import SlateLoop, SlateMaker


@dataclass
class _Endpoint:
    slug: str = "calm"
    generation: int | None = None
    renditions: list[RenditionSpec] = field(default_factory=lambda: [RenditionSpec(name="src")])
    slate_next: float = 0.0
    slate_count: int = 0


async def test_init_section_placed_once_per_folder(tmp_path: Path) -> None:
    maker = SlateMaker("ffmpeg-not-needed", tmp_path / "data", 1.0)
    maker.path.parent.mkdir(parents=True)
    maker.path.write_bytes(b"<slate segment>")  # already encoded: no ffmpeg run
    maker.init_path.write_bytes(b"<slate init>")
    hls = HlsConfig(segment_seconds=1.0)
    spool = tmp_path / "spool"
    loop = SlateLoop(maker, LivePlaylists(hls, PartStore()), SpoolCache(spool), spool, 3)
    rt = _Endpoint()
    init = spool / "calm" / "0" / "src" / "slate_init.mp4"

    await loop.tick(rt)
    assert init.read_bytes() == b"<slate init>"
    init.unlink()
    rt.slate_next = 0.0
    await loop.tick(rt)
    assert not init.exists()  # not placed again on every tick
    assert (spool / "calm" / "0" / "src" / "slate_00001.m4s").is_file()

    loop.forget("calm")
    rt.slate_next = 0.0
    await loop.tick(rt)
    assert init.read_bytes() == b"<slate init>"
