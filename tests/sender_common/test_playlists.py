from __future__ import annotations

import pytest

from sender_common.hls.playlist import (
    MediaPlaylist,
    PlaylistError,
    Segment,
    parse_master_playlist,
    parse_media_playlist,
    write_media_playlist,
)


def media(
    first: int, n: int, *, gen: str = "", endlist: bool = False, disc0: bool = False
) -> MediaPlaylist:
    segs = [Segment(f"{gen}seg_{first + i:05d}.ts", 2.0, disc0 and i == 0) for i in range(n)]
    return MediaPlaylist(target_duration=2, media_sequence=first, segments=segs, endlist=endlist)


def test_round_trip() -> None:
    pl = media(5, 3, endlist=True)
    again = parse_media_playlist(write_media_playlist(pl))
    assert again.media_sequence == 5
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
