"""A rendition ladder through real ffmpeg, and the retention sweep of ended generations."""

from __future__ import annotations

from pathlib import Path

import httpx

from sender_common.hls.playlist.parse import parse_media_playlist
from tests import scrape
from tests.origin.ladder import LADDER, wait_ladder_live
from tests.procs import create_endpoint, publish, rtmp_url, start_origin, stop_publisher
from tests.tools import ffprobe
from tests.waiting import wait_for


def test_ladder_gives_a_master_playlist_of_renditions(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "o")
    key = create_endpoint(origin.url, "ladder", renditions=LADDER)
    pub = publish(rtmp_url(origin, key))
    base = f"{origin.url}/sender/hls/ladder"
    try:
        master = wait_ladder_live(base)
        for v in master.variants:  # CODECS on every variant, from each rendition's init
            assert v.codecs is not None and v.codecs.startswith("avc1.") and "mp4a.40." in v.codecs
        low_text = httpx.get(f"{base}/live/low.m3u8").text
        assert '#EXT-X-RENDITION-REPORT:URI="src.m3u8",LAST-MSN=' in low_text
        low = parse_media_playlist(low_text)
        assert low.segments[0].uri.startswith("../1/low/seg")
        seg = httpx.get(f"{base}/live/{low.segments[0].uri}")
        assert seg.status_code == 200 and seg.content[4:8] == b"moof"
        probe = ffprobe(f"{base}/live/low.m3u8", "-show_streams", timeout=30)
        heights = {s.get("height") for s in probe["streams"]}
        assert 90 in heights
        gens = httpx.get(f"{origin.url}/api/v1/endpoints/ladder/generations").json()
        assert gens[0]["delivery"] == "ladder" and sorted(gens[0]["renditions"]) == ["low", "src"]
    finally:
        stop_publisher(pub)
        origin.stop()


def test_ended_generations_spool_is_removed_after_retention(tmp_path: Path) -> None:
    origin = start_origin(
        tmp_path / "o",
        settings={"hls_retention_seconds": 2, "retention_check_seconds": 0.5},
    )
    key = create_endpoint(origin.url, "keep")
    gen_dir = tmp_path / "o" / "spool" / "keep" / "1"
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: any(gen_dir.glob("src/seg*.m4s")), 30, "segments on disk")
    finally:
        stop_publisher(pub)
    wait_for(
        lambda: (
            httpx.get(f"{origin.url}/api/v1/endpoints/keep/generations").json()[0]["state"]
            == "ended"
        ),
        15,
        "generation ended",
    )
    assert gen_dir.exists()  # kept for the retention period...
    wait_for(lambda: not gen_dir.exists(), 20, "spool removed after retention")
    metrics = scrape.scrape(origin.url)
    assert scrape.value(metrics, "sender_origin_generations_cleaned_total") == 1.0
    origin.stop()
