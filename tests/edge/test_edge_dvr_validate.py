"""An upstream DVR playlist is served as is only when every URI stays inside the endpoint."""

from __future__ import annotations

import pytest

from sender_common.hls.playlist.syntax import PlaylistError
from sender_edge.mirror.playlists.dvr_pull import validate_dvr_playlist
from sender_edge.mirror.upstream.fetch import FetchError

ROOT = "http://127.0.0.1:8080/sender/hls/cam/"
HEAD = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:3\n"


def media(map_uri: str, seg: str) -> str:
    return f'{HEAD}#EXT-X-MAP:URI="{map_uri}"\n#EXTINF:1.00000,\n{seg}\n#EXT-X-ENDLIST\n'


def test_relative_dvr_playlists_pass() -> None:
    validate_dvr_playlist(media("1/src/init3.mp4", "1/src/seg3.m4s"), ROOT + "dvr.m3u8", ROOT)
    validate_dvr_playlist(
        media("../1/hi/init3.mp4", "../1/hi/seg3.m4s"), ROOT + "dvr/hi.m3u8", ROOT
    )
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\ndvr/hi.m3u8\n"
    validate_dvr_playlist(master, ROOT + "dvr.m3u8", ROOT)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (media("1/src/init3.mp4", "http://10.0.0.1/sender/hls/cam/1/src/seg3.m4s"), FetchError),
        (media("1/src/init3.mp4", "../other/1/src/seg3.m4s"), FetchError),
        (media("../../x/init3.mp4", "1/src/seg3.m4s"), FetchError),
        (media("1/src/init3.mp4", "1/src/seg3.m4s?x=1"), FetchError),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://127.0.0.2/x.m3u8\n", PlaylistError),
        ("not a playlist", PlaylistError),
    ],
)
def test_escaping_or_broken_dvr_playlists_are_refused(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        validate_dvr_playlist(text, ROOT + "dvr.m3u8", ROOT)
