"""The stable live entry points of each endpoint, built from its generations' playlists."""

from __future__ import annotations

import logging

from sender_common.ffmpeg.command import MEDIA_PLAYLIST
from sender_common.hls.continuity import ContinuousPlaylist
from sender_common.hls.playlist import (
    MasterPlaylist,
    PlaylistError,
    Segment,
    Variant,
    parse_media_playlist,
    write_master_playlist,
)
from sender_common.hls.spoolcache import SpoolCache
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
    """`live.m3u8` (and `live/{rendition}.m3u8` for ladders) per endpoint."""

    def __init__(self, cache: SpoolCache, hls: HlsConfig) -> None:
        self._cache = cache
        self._hls = hls
        self._lists: dict[tuple[str, str], ContinuousPlaylist] = {}
        self._etags: dict[tuple[str, str], str] = {}

    def forget(self, slug: str) -> None:
        for key in [k for k in self._lists if k[0] == slug]:
            self._lists.pop(key, None)
            self._etags.pop(key, None)

    def render(
        self,
        slug: str,
        name: str,
        generation: int,
        renditions: list[RenditionSpec],
        *,
        ended: bool = False,
    ) -> bytes | None:
        names = [r.name for r in renditions]
        if name == "live.m3u8":
            if len(renditions) == 1:
                return self._media(slug, names[0], generation, "", ended)
            master = MasterPlaylist(
                variants=[
                    Variant(f"live/{r.name}.m3u8", bandwidth(r), resolution(r), name=r.name)
                    for r in renditions
                ],
                independent_segments=True,
            )
            return write_master_playlist(master).encode()
        if name.startswith("live/") and name.endswith(".m3u8"):
            rendition = name[len("live/") : -len(".m3u8")]
            if rendition in names:
                return self._media(slug, rendition, generation, "../", ended)
        return None

    def add_slate(
        self, slug: str, rendition: str, uri: str, seconds: float, latest_generation: int
    ) -> None:
        """Append one slate segment (its own discontinuity: each loop restarts timestamps)."""
        key = (slug, rendition)
        cont = self._lists.get(key)
        if cont is None:
            first = latest_generation * SEQ_STRIDE + SEQ_STRIDE // 2
            cont = ContinuousPlaylist(self._hls.window_segments, first_sequence=first)
            self._lists[key] = cont
        cont.append("slate", uri, Segment(uri, seconds, discontinuity=True))

    def has_list(self, slug: str, rendition: str) -> bool:
        return (slug, rendition) in self._lists

    def refresh(self, slug: str, generation: int, renditions: list[RenditionSpec]) -> int:
        """Fold in what ffmpeg wrote since the last look; returns the new segment count."""
        return sum(self._fold(slug, r.name, generation)[1] for r in renditions)

    def _media(
        self, slug: str, rendition: str, generation: int, prefix: str, ended: bool
    ) -> bytes | None:
        cont, _ = self._fold(slug, rendition, generation)
        if cont is None:
            return None
        cont.ended = ended  # the source's ENDLIST does not end a generation held for reconnect
        return cont.render(prefix).encode()

    def _fold(
        self, slug: str, rendition: str, generation: int
    ) -> tuple[ContinuousPlaylist | None, int]:
        key = (slug, rendition)
        new = 0
        rel = f"{slug}/{generation}/{rendition}/{MEDIA_PLAYLIST}"
        entry = self._cache.load(rel)
        cont = self._lists.get(key)
        if entry is None and cont is None:
            return None, 0
        if entry is not None and self._etags.get(key) != f"{generation}:{entry.etag}":
            try:
                pl = parse_media_playlist(entry.body.decode("utf-8", "replace"))
            except PlaylistError as exc:
                log.warning("%s: unreadable playlist %s: %s", slug, rel, exc)
                pl = None
            if pl is not None:
                if cont is None:
                    first = generation * SEQ_STRIDE + pl.media_sequence
                    cont = ContinuousPlaylist(self._hls.window_segments, first_sequence=first)
                    self._lists[key] = cont
                new = cont.update(str(generation), f"{generation}/{rendition}/", pl)
                self._etags[key] = f"{generation}:{entry.etag}"
        return cont, new
