"""A two-rendition ladder (the source and a 90p rendition) and the wait for it to go live."""

from __future__ import annotations

__all__ = ["LADDER", "wait_ladder_live"]

import httpx

from sender_common.hls.playlist.master import MasterPlaylist, parse_master_playlist
from sender_common.hls.playlist.parse import parse_media_playlist
from tests.waiting import wait_for

LADDER = [{"name": "src"}, {"name": "low", "height": 90, "video_bitrate_kbps": 100}]


def wait_ladder_live(base: str, timeout: float = 60) -> MasterPlaylist:
    """Wait for two segments in each rendition under `base` (an endpoint's HLS root), then
    check the master playlist lists both, the low one at 160x90; returns it."""

    def both_renditions() -> bool:
        for name in ("src", "low"):
            r = httpx.get(f"{base}/live/{name}.m3u8", timeout=5)
            if r.status_code != 200 or len(parse_media_playlist(r.text).segments) < 2:
                return False
        return True

    wait_for(both_renditions, timeout, "both renditions live")
    master = parse_master_playlist(httpx.get(f"{base}/live.m3u8", timeout=5).text)
    assert [v.uri for v in master.variants] == ["live/src.m3u8", "live/low.m3u8"]
    assert master.variants[1].resolution == "160x90"
    return master
