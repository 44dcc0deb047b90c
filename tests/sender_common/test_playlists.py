from __future__ import annotations

import pytest

from sender_common.hls.continuity import ContinuousPlaylist
from sender_common.hls.playlist import (
    MediaPlaylist,
    PlaylistError,
    Segment,
    parse_master_playlist,
    parse_media_playlist,
    write_media_playlist,
)


def media(first: int, n: int, *, gen: str = "", endlist: bool = False, disc0: bool = False):
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


def test_continuity_across_generations() -> None:
    cont = ContinuousPlaylist(window=3, first_sequence=100)
    cont.update("1", "1/src/", media(0, 2, disc0=True))
    out = parse_media_playlist(cont.render())
    assert out.media_sequence == 100 and not out.segments[0].discontinuity
    assert out.discontinuity_sequence == 0
    cont.update("1", "1/src/", media(1, 2))
    cont.update("2", "2/src/", media(0, 1, disc0=True))
    out = parse_media_playlist(cont.render("../"))
    assert [s.uri for s in out.segments] == [
        "../1/src/seg_00001.ts",
        "../1/src/seg_00002.ts",
        "../2/src/seg_00000.ts",
    ]
    assert out.media_sequence == 101
    assert out.segments[2].discontinuity
    cont.update("2", "2/src/", media(1, 3))
    out = parse_media_playlist(cont.render())
    # the discontinuity left the window: counted in EXT-X-DISCONTINUITY-SEQUENCE
    assert out.media_sequence == 104
    assert out.discontinuity_sequence == 1
    assert not any(s.discontinuity for s in out.segments)


def test_sequence_only_rises_when_source_repeats() -> None:
    cont = ContinuousPlaylist(window=4)
    for _ in range(3):
        cont.update("1", "", media(0, 2))
    assert parse_media_playlist(cont.render()).media_sequence == 0
    assert len(parse_media_playlist(cont.render()).segments) == 2
