"""The LL-HLS media playlist parser: what `LivePlaylist` writes reads back, bad text is refused."""

from __future__ import annotations

import asyncio

import pytest

from sender_common.hls.playlist.live import LivePlaylist
from sender_common.hls.playlist.parse import MAX_PARTS, parse_media_playlist
from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.playlist.render import render_live
from sender_common.hls.playlist.segments import Part, RenditionReport
from sender_common.hls.playlist.syntax import PlaylistError

ORIGIN = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:1000001
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="1/src/init1000000.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:27:49.933+00:00
#EXTINF:1.00000,
1/src/seg1000001.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:27:50.933+00:00
#EXT-X-PART:DURATION=0.46700,URI="1/src/part12.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.53300,URI="1/src/part13.m4s"
#EXTINF:1.00000,
1/src/seg1000002.m4s
#EXT-X-DISCONTINUITY
#EXT-X-MAP:URI="2/src/init1000003.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-11-25T20:28:00.000Z
#EXT-X-PART:DURATION=0.46700,URI="2/src/part0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="2/src/part1.m4s"
#EXT-X-RENDITION-REPORT:URI="low.m3u8",LAST-MSN=1000003,LAST-PART=0
#EXT-X-RENDITION-REPORT:URI="mid.m3u8",LAST-MSN=1000002
"""


def test_origin_playlist() -> None:
    pl = parse_media_playlist(ORIGIN)
    assert pl.low_latency and pl.part_target == 0.5 and pl.target_duration == 1
    assert [s.msn for s in pl.segments] == [1000001, 1000002]
    assert pl.next_msn == 1000003
    first, second = pl.segments
    assert first.map_uri == second.map_uri == "1/src/init1000000.mp4"
    assert first.parts == [] and not first.discontinuity
    assert second.parts == [
        Part("1/src/part12.m4s", 0.467, True),
        Part("1/src/part13.m4s", 0.533, False),
    ]
    assert second.pdt is not None and first.pdt is not None
    assert second.pdt - first.pdt == pytest.approx(1.0)
    assert pl.parts == [Part("2/src/part0.m4s", 0.467, True)]
    assert pl.open_map == "2/src/init1000003.mp4" and pl.open_discontinuity
    assert pl.open_pdt is not None and pl.open_pdt - second.pdt == pytest.approx(9.067)
    assert pl.hint == "2/src/part1.m4s"
    assert pl.reports == [
        RenditionReport("low.m3u8", 1000003, 0),
        RenditionReport("mid.m3u8", 1000002, None),
    ]
    assert not pl.endlist and pl.independent_segments


def test_plain_playlist_is_not_low_latency() -> None:
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n1/src/seg0.m4s\n#EXT-X-ENDLIST\n"
    pl = parse_media_playlist(text)
    assert not pl.low_latency and pl.endlist and pl.hint is None
    assert pl.segments[0].uri == "1/src/seg0.m4s" and pl.segments[0].map_uri is None


def test_reads_back_what_live_playlist_renders() -> None:
    async def build() -> str:
        store = PartStore()
        pl = LivePlaylist(
            window=4, segment_target=1, part_target=0.5, first_msn=7, store=store, store_prefix="c/"
        )
        pl.set_map("1/src/init7.mp4", discontinuity=True)
        for n in range(5):
            pl.add_part(Part(f"1/src/part{n}.m4s", 0.5, n % 2 == 0), b"x", pdt=1_700_000_000.0 + n)
            if n % 2 == 1:
                pl.close_segment(f"1/src/seg{pl.next_msn}.m4s", 1.0)
        pl.set_hint("1/src/part5.m4s")
        return render_live(pl, reports=[RenditionReport("low.m3u8", 8, 1)])

    pl = parse_media_playlist(asyncio.run(build()))
    assert [s.uri for s in pl.segments] == ["1/src/seg7.m4s", "1/src/seg8.m4s"]
    assert [p.uri for p in pl.segments[1].parts] == ["1/src/part2.m4s", "1/src/part3.m4s"]
    assert [p.uri for p in pl.parts] == ["1/src/part4.m4s"]
    assert pl.parts[0].independent and pl.next_msn == 9
    assert pl.open_pdt == pytest.approx(1_700_000_004.0)
    assert pl.hint == "1/src/part5.m4s" and pl.reports == [RenditionReport("low.m3u8", 8, 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#EXT-X-TARGETDURATION:1\n", "EXTM3U"),
        ("#EXTM3U\n#EXTINF:1,\na.m4s\n", "TARGETDURATION"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlive/a.m3u8\n", "master"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:1\na.m4s\n", "without EXTINF"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:-1\n", "TARGETDURATION"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:99999999999999999999\n", "TARGETDURATION"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:nan,\na.m4s\n", "EXTINF"),
        ('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PART:DURATION=inf,URI="a"\n', "DURATION"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PART:DURATION=0.5\n", "URI"),
        ('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:URI="a b"\n', "URI"),
        ('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MAP:URI="i",BYTERANGE="9@0"\n', "BYTERANGE"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PROGRAM-DATE-TIME:yesterday\n", "DATE"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00\n", "zone"),
        ('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-RENDITION-REPORT:URI="a",LAST-MSN=x\n', "MSN"),
        ("#EXTM3U\n" + "#" * 2_000_000, "too large"),
    ],
)
def test_malformed_playlists_are_refused(text: str, message: str) -> None:
    with pytest.raises(PlaylistError, match=message):
        parse_media_playlist(text)


def test_counts_are_bounded() -> None:
    head = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    parts = '#EXT-X-PART:DURATION=0.1,URI="p.m4s"\n' * (MAX_PARTS + 1)
    with pytest.raises(PlaylistError, match="too many parts"):
        parse_media_playlist(head + parts)
    reports = '#EXT-X-RENDITION-REPORT:URI="a.m3u8",LAST-MSN=1\n' * 65
    with pytest.raises(PlaylistError, match="too many rendition reports"):
        parse_media_playlist(head + reports)
