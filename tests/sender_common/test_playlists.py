from __future__ import annotations

import pytest

from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.master import parse_master_playlist
from sender_common.hls.playlist.parse import parse_media_playlist
from sender_common.hls.playlist.render import render_live
from sender_common.hls.playlist.syntax import PlaylistError


def media(first: int, n: int, *, endlist: bool = False) -> LivePlaylist:
    pl = LivePlaylist(window=n, segment_target=2.0, part_target=0.5, first_msn=first)
    pl.set_map("init.mp4", discontinuity=False)
    for i in range(n):
        pl.add_segment(f"seg_{first + i:05d}.m4s", 2.0)
    if endlist:
        pl.end()
    return pl


def test_round_trip() -> None:
    pl = media(5, 3, endlist=True)
    again = parse_media_playlist(render_live(pl, low_latency=False))
    assert again.media_sequence == 5
    assert again.last_sequence == 7
    assert [s.uri for s in again.segments] == [s.uri for s in pl.segments]
    assert again.endlist


@pytest.mark.parametrize(
    "text",
    [
        "",
        "#EXTINF:2,\nx.ts",
        "#EXTM3U\n#EXTINF:2,\nx.ts",
        "#EXTM3U\n#EXT-X-TARGETDURATION:x",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\nx.ts",
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:nan,\nx",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8",
    ],
)
def test_malformed_media_playlists_refused(text: str) -> None:
    with pytest.raises(PlaylistError):
        parse_media_playlist(text)


def test_master() -> None:
    m = parse_master_playlist(
        '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,NAME="360p"\nlive/360p.m3u8\n'
    )
    assert m.variants[0].bandwidth == 800000 and m.variants[0].name == "360p"
