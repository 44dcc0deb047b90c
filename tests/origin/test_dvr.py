"""DVR window and recordings, for real: publishes over RTMP, rewind playlists, MP4 exports."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests import scrape
from tests.procs import Proc, create_endpoint, publish, rtmp_url, start_origin, stream_state
from tests.tools import ffprobe
from tests.waiting import wait_for

ENV = {"reconnect_grace_seconds": 3, "retention_check_seconds": 0.5}
ORIGIN_SETTINGS = ENV


def _publish_for(origin: Proc, key: str, seconds: float) -> None:
    """`seconds` of media, published at 4x real time (the same segments, sooner)."""
    pub = publish(rtmp_url(origin, key), duration=seconds, readrate=4)
    assert pub.wait(seconds + 30) == 0


def _dvr(origin: Proc, slug: str) -> str | None:
    r = httpx.get(f"{origin.url}/sender/hls/{slug}/dvr.m3u8", timeout=5)
    return r.text if r.status_code == 200 else None


def test_dvr_grows_while_live_then_becomes_vod_with_a_reconnect(
    origin: Proc, tmp_path: Path
) -> None:
    key = create_endpoint(origin.url, "rewind", dvr_window_seconds=600)
    _publish_for(origin, key, 4)
    first = wait_for(lambda: _dvr(origin, "rewind"), 20, "a DVR playlist")
    assert "#EXT-X-PLAYLIST-TYPE" not in first  # the window slides: no EVENT promise
    # the publisher comes back inside the grace period: same generation, same init section
    _publish_for(origin, key, 4)

    def ended() -> str | None:
        text = _dvr(origin, "rewind")
        return text if text and "#EXT-X-ENDLIST" in text else None

    text = wait_for(ended, 30, "the DVR playlist to end once the generation ended")
    lines = text.splitlines()
    segments = [ln for ln in lines if ln.endswith(".m4s")]
    assert len(segments) >= 6 and all(s.startswith("1/src/seg") for s in segments)
    assert sum(ln.startswith("#EXT-X-PROGRAM-DATE-TIME:") for ln in lines) == len(segments)
    assert lines.count("#EXT-X-DISCONTINUITY") == 0  # the reconnect continues the timeline
    assert sum(ln.startswith("#EXT-X-MAP:") for ln in lines) == 1
    live = httpx.get(f"{origin.url}/sender/hls/rewind/live.m3u8", timeout=5).text
    assert live.count("#EXTINF") <= 6 < len(segments)  # live keeps its short window

    listed = httpx.get(f"{origin.url}/api/v1/endpoints/rewind/recordings", timeout=5).json()
    assert [r["generation"] for r in listed] == [1]
    rec = listed[0]
    assert rec["state"] == "ended" and rec["size_bytes"] > 10_000
    assert 6 <= rec["duration_seconds"] <= 10

    export = httpx.get(f"{origin.url}{rec['export_url']}", timeout=60)
    assert export.status_code == 200 and export.headers["content-type"] == "video/mp4"
    (tmp_path / "rec.mp4").write_bytes(export.content)
    info = ffprobe(tmp_path / "rec.mp4", "-show_entries", "format=duration:stream=codec_name")
    assert sorted(s["codec_name"] for s in info["streams"]) == ["aac", "h264"]
    assert float(info["format"]["duration"]) == pytest.approx(rec["duration_seconds"], abs=1.0)
    ranged = httpx.get(
        f"{origin.url}{rec['export_url']}", headers={"Range": "bytes=0-99"}, timeout=30
    )
    assert ranged.status_code == 206 and len(ranged.content) == 100

    assert httpx.delete(f"{origin.url}/api/v1/endpoints/rewind/recordings/1").status_code == 204
    assert httpx.get(f"{origin.url}/api/v1/endpoints/rewind/recordings").json() == []
    assert _dvr(origin, "rewind") is None


def test_live_generation_cannot_be_exported_and_bad_names_are_refused(origin: Proc) -> None:
    key = create_endpoint(origin.url, "onair", dvr_window_seconds=600)
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(lambda: _dvr(origin, "onair"), 30, "a DVR playlist")
        base = f"{origin.url}/api/v1/endpoints/onair/recordings"
        live = httpx.get(f"{base}/1.mp4", timeout=10)
        assert live.status_code == 409 and "live" in live.json()["detail"]
        assert httpx.delete(f"{base}/1").status_code == 409
        assert httpx.get(f"{base}/7.mp4").status_code == 404
        assert httpx.get(f"{base}/x.mp4").status_code == 422
        assert httpx.get(f"{origin.url}/api/v1/endpoints/nope/recordings").status_code == 404
    finally:
        pub.kill()


def test_dvr_off_is_404_and_patch_turns_it_on(origin: Proc) -> None:
    key = create_endpoint(origin.url, "nodvr", dvr_window_seconds=0)
    pub = publish(rtmp_url(origin, key))
    try:
        wait_for(
            lambda: httpx.get(f"{origin.url}/sender/hls/nodvr/live.m3u8").status_code == 200,
            30,
            "live",
        )
        assert _dvr(origin, "nodvr") is None
        r = httpx.patch(f"{origin.url}/api/v1/endpoints/nodvr", json={"dvr_window_seconds": 60})
        assert r.status_code == 200 and r.json()["dvr_window_seconds"] == 60
        wait_for(lambda: _dvr(origin, "nodvr"), 10, "DVR after the update")
        bad = httpx.patch(f"{origin.url}/api/v1/endpoints/nodvr", json={"dvr_window_seconds": -1})
        assert bad.status_code == 422
    finally:
        pub.kill()


def test_recordings_budget_removes_the_oldest_never_the_live(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "budget", settings={**ENV, "reconnect_grace_seconds": 0})
    try:
        key = create_endpoint(origin.url, "kept", record=True)
        for _ in range(2):  # two short generations
            _publish_for(origin, key, 3)
            wait_for(
                lambda: stream_state(origin.url, "kept") != "live", 20, "the generation to end"
            )
        listed = httpx.get(f"{origin.url}/api/v1/endpoints/kept/recordings").json()
        assert [r["generation"] for r in listed] == [1, 2]
        one = listed[0]["size_bytes"]
        origin.stop()
        # restart with a budget that fits about one generation, then go live again
        origin = start_origin(
            tmp_path / "budget",
            settings={
                **ENV,
                "reconnect_grace_seconds": 0,
                "recordings_max_bytes": one + one // 2,
            },
        )
        pub = publish(rtmp_url(origin, key))
        try:

            def trimmed() -> list[int] | None:
                gens = [
                    r["generation"]
                    for r in httpx.get(f"{origin.url}/api/v1/endpoints/kept/recordings").json()
                ]
                return gens if 1 not in gens and 3 in gens else None

            gens = wait_for(trimmed, 30, "the oldest recording removed for the budget")
            assert 3 in gens  # the live generation stays even when over the budget
            assert scrape.declares(scrape.scrape(origin.url), "sender_origin_recordings_bytes")
        finally:
            pub.kill()
    finally:
        origin.stop()
