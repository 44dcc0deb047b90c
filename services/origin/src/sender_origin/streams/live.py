"""The stable live entry points of each endpoint: `live.m3u8` (and `live/{rendition}.m3u8`
for ladders), one LL-HLS playlist per rendition that lives across generations."""

from __future__ import annotations

import logging

from sender_common.cmaf.splice import Splice
from sender_common.hls.playlist.live import LivePlaylist, LiveWait
from sender_common.hls.playlist.master import Variant
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.reload import (
    master_bytes,
    media_reload,
    playable,
    rendition_report,
)
from sender_common.hls.playlist.segments import RenditionReport
from sender_common.hls.serve.request import Blocking
from sender_common.models import RenditionSpec
from sender_common.settings import HlsConfig

log = logging.getLogger(__name__)
SEQ_STRIDE = 1_000_000  # a generation's first live sequence number: generation * stride


def bandwidth(spec: RenditionSpec) -> int:
    video = spec.video_bitrate_kbps or (spec.height * 4 if spec.height else 2000)
    return (video + spec.audio_bitrate_kbps) * 1000


def resolution(spec: RenditionSpec) -> str | None:
    if spec.height is None:
        return None
    return f"{(spec.height * 16 // 9) // 2 * 2}x{spec.height}"


class LivePlaylists:
    """Every endpoint's live playlists, with their parts in `parts`."""

    def __init__(self, hls: HlsConfig, parts: PartStore) -> None:
        self._hls = hls
        self.parts = parts
        self._lists: dict[tuple[str, str], LivePlaylist] = {}
        self._codecs: dict[tuple[str, str], str] = {}
        self._splices: dict[tuple[str, str], Splice] = {}

    def playlist(self, slug: str, rendition: str, generation: int, offset: int = 0) -> LivePlaylist:
        """The rendition's playlist, created at its generation's first sequence number."""
        key = (slug, rendition)
        pl = self._lists.get(key)
        if pl is None:
            pl = LivePlaylist(
                window=self._hls.window_segments,
                segment_target=self._hls.segment_seconds,
                part_target=self._hls.part_seconds,
                first_msn=generation * SEQ_STRIDE + offset,
                store=self.parts,
                store_prefix=f"{slug}/",
            )
            self._lists[key] = pl
        return pl

    def splice(self, slug: str, rendition: str) -> Splice:
        """Where the rendition's fMP4 timeline stands, kept across ffmpeg runs and generations."""
        return self._splices.setdefault((slug, rendition), Splice())

    def set_codecs(self, slug: str, rendition: str, codecs: str | None) -> None:
        if codecs:
            self._codecs[(slug, rendition)] = codecs

    def has_list(self, slug: str, rendition: str) -> bool:
        return (slug, rendition) in self._lists

    def end(self, slug: str) -> None:
        """The generation ended: ENDLIST on every rendition, waiting requests answered."""
        for (s, _), pl in self._lists.items():
            if s == slug and not pl.ended:
                pl.end()

    def forget(self, slug: str) -> None:
        for key in [k for k in self._lists if k[0] == slug]:
            self._lists.pop(key).forget()
            self._codecs.pop(key, None)
            self._splices.pop(key, None)

    def close(self) -> None:
        for pl in self._lists.values():
            pl.end()
        self.parts.close()

    async def render(
        self,
        slug: str,
        name: str,
        renditions: list[RenditionSpec],
        *,
        ended: bool = False,
        block: Blocking | None = None,
    ) -> bytes | None:
        found = self.render_now(slug, name, renditions, ended=ended, block=block)
        return await found.result() if isinstance(found, LiveWait) else found

    def render_now(
        self,
        slug: str,
        name: str,
        renditions: list[RenditionSpec],
        *,
        ended: bool = False,
        block: Blocking | None = None,
    ) -> bytes | LiveWait | None:
        """The playlist now, or the wait of a blocking reload that is not satisfied yet."""
        names = [r.name for r in renditions]
        if name == "live.m3u8":
            if len(renditions) == 1:
                return self._media(slug, names[0], "", ended, block, names)
            return self._master(slug, renditions)
        if name.startswith("live/") and name.endswith(".m3u8"):
            rendition = name[len("live/") : -len(".m3u8")]
            if rendition in names:
                return self._media(slug, rendition, "../", ended, block, names)
        return None

    def _master(self, slug: str, renditions: list[RenditionSpec]) -> bytes:
        return master_bytes(
            [
                Variant(
                    f"live/{r.name}.m3u8",
                    bandwidth(r),
                    resolution(r),
                    codecs=self._codecs.get((slug, r.name)),
                    name=r.name,
                )
                for r in renditions
            ]
        )

    def _media(
        self,
        slug: str,
        rendition: str,
        prefix: str,
        ended: bool,
        block: Blocking | None,
        names: list[str],
    ) -> bytes | LiveWait | None:
        pl = self._lists.get((slug, rendition))
        if pl is None or not playable(pl):
            return None
        if ended and not pl.ended:
            pl.end()

        def reports() -> list[RenditionReport]:
            found = [self._report(slug, other) for other in names if other != rendition]
            return [r for r in found if r is not None]

        hls = self._hls
        return media_reload(
            pl,
            prefix,
            block,
            low_latency=hls.low_latency,
            reports=reports,
            timeout=hls.block_seconds,
        )

    def _report(self, slug: str, rendition: str) -> RenditionReport | None:
        pl = self._lists.get((slug, rendition))
        return None if pl is None else rendition_report(rendition, pl)

    def add_slate(
        self, slug: str, rendition: str, uri: str, map_uri: str, seconds: float, generation: int
    ) -> None:
        """Append one slate segment (its own discontinuity: each loop restarts timestamps)."""
        # a new list starts after the generation's own numbers, before the next one's
        pl = self.playlist(slug, rendition, generation, SEQ_STRIDE // 2)
        pl.set_map(map_uri, discontinuity=True)
        pl.add_segment(uri, seconds)
