"""LL-HLS at the origin, for real: ffmpeg publishes over RTMP, parts come out over HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.procs import (
    SEGMENT_SECONDS,
    Proc,
    create_endpoint,
    publish,
    rtmp_url,
    start_origin,
    stop_publisher,
)
from tests.tools import ffprobe
from tests.waiting import wait_for

ORIGIN_SETTINGS = {"hls_part_seconds": 0.4}
_PART = re.compile(r'^#EXT-X-PART:DURATION=([\d.]+),URI="([^"]+)"(,INDEPENDENT=YES)?$')


def _open_state(text: str) -> tuple[int, int]:
    """(MSN of the open segment, number of its parts listed) of an LL-HLS playlist."""
    lines = text.splitlines()
    seq = int(next(ln for ln in lines if ln.startswith("#EXT-X-MEDIA-SEQUENCE:")).split(":")[1])
    segments = sum(1 for ln in lines if ln.startswith("#EXTINF:"))
    last_inf = max((i for i, ln in enumerate(lines) if ln.startswith("#EXTINF:")), default=-1)
    open_parts = sum(1 for ln in lines[last_inf + 1 :] if ln.startswith("#EXT-X-PART:"))
    return seq + segments, open_parts


def _hint(text: str) -> str:
    m = re.search(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"', text)
    assert m, text
    return m.group(1)


@pytest.fixture(scope="module")
def stream(origin: Proc) -> Iterator[str]:
    key = create_endpoint(origin.url, "ll")
    pub = publish(rtmp_url(origin, key))
    base = f"{origin.url}/sender/hls/ll"

    def two_segments() -> str | None:
        r = httpx.get(f"{base}/live.m3u8", timeout=5)
        return r.text if r.status_code == 200 and r.text.count("#EXTINF") >= 2 else None

    wait_for(two_segments, 40, "two LL-HLS segments")
    yield base
    stop_publisher(pub)


def test_playlist_has_parts_hint_and_server_control(stream: str) -> None:
    text = httpx.get(f"{stream}/live.m3u8", timeout=5).text
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.2" in text
    assert "#EXT-X-PART-INF:PART-TARGET=0.4" in text
    assert f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}" in text
    assert re.search(r'#EXT-X-MAP:URI="1/src/init\d+\.mp4"', text)
    assert "#EXT-X-PROGRAM-DATE-TIME:" in text
    parts = [m for ln in text.splitlines() if (m := _PART.match(ln))]
    assert len(parts) >= 4
    assert all(float(m.group(1)) <= 0.4 for m in parts)  # within the advertised part target
    # every segment starts with an independent part (segments are cut at keyframes)
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith("#EXT-X-PROGRAM-DATE-TIME") and i + 1 < len(lines):
            nxt = _PART.match(lines[i + 1])
            assert nxt is None or nxt.group(3), lines[i + 1]
    part = httpx.get(f"{stream}/{parts[-1].group(2)}", timeout=5)
    assert part.status_code == 200 and part.content[4:8] == b"moof"
    assert "immutable" in part.headers["cache-control"]


def test_blocking_reload_answers_when_the_part_exists(stream: str) -> None:
    text = httpx.get(f"{stream}/live.m3u8", timeout=5).text
    msn, nparts = _open_state(text)
    for _ in range(3):  # three parts in a row, each awaited with a blocking reload
        started = time.monotonic()
        r = httpx.get(f"{stream}/live.m3u8?_HLS_msn={msn}&_HLS_part={nparts}", timeout=10)
        waited = time.monotonic() - started
        assert r.status_code == 200
        got_msn, got_parts = _open_state(r.text)
        assert (got_msn, got_parts) >= (msn, nparts + 1) or got_msn > msn, (waited, r.text)
        assert waited < 6  # answered by the part, not by the three-target timeout
        msn, nparts = got_msn, got_parts


def test_preload_hinted_part_blocks_until_complete(stream: str) -> None:
    text = httpx.get(f"{stream}/live.m3u8", timeout=5).text
    hint = _hint(text)
    r = httpx.get(f"{stream}/{hint}", timeout=10)
    assert r.status_code == 200 and r.content[4:8] == b"moof"
    after = httpx.get(f"{stream}/live.m3u8", timeout=5).text
    assert f'URI="{hint}"' in after and _hint(after) != hint


def test_init_and_segment_decode_with_ffprobe(stream: str, tmp_path: Path) -> None:
    text = httpx.get(f"{stream}/live.m3u8", timeout=5).text
    init_uri = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text)
    assert init_uri
    seg_uri = next(ln for ln in text.splitlines() if ln.endswith(".m4s") and "seg" in ln)
    body = (
        httpx.get(f"{stream}/{init_uri.group(1)}").content
        + httpx.get(f"{stream}/{seg_uri}").content
    )
    (tmp_path / "x.mp4").write_bytes(body)
    probe = ffprobe(
        tmp_path / "x.mp4", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames"
    )
    rows = {s["codec_name"]: s["nb_read_frames"] for s in probe["streams"]}
    # one segment (one GOP of the 15 fps publisher), plus audio
    assert int(rows["h264"]) >= 15 * int(SEGMENT_SECONDS) - 1 and int(rows["aac"]) > 0


@pytest.mark.parametrize(
    "query",
    ["_HLS_msn=abc", "_HLS_msn=-1", "_HLS_msn=1&_HLS_part=x", "_HLS_part=1", "_HLS_msn=99999999"],
)
def test_bad_blocking_requests_are_400(stream: str, query: str) -> None:
    r = httpx.get(f"{stream}/live.m3u8?{query}", timeout=5)
    assert r.status_code == 400 and "detail" in r.json()


def test_unknown_part_is_404(stream: str) -> None:
    assert httpx.get(f"{stream}/1/src/part99999999.m4s", timeout=5).status_code == 404


def test_low_latency_off_serves_the_same_cmaf_without_parts(tmp_path: Path) -> None:
    origin = start_origin(tmp_path / "plain", settings={"hls_low_latency": False})
    key = create_endpoint(origin.url, "plain")
    pub = publish(rtmp_url(origin, key))
    try:
        url = f"{origin.url}/sender/hls/plain/live.m3u8"

        def listed() -> str | None:
            r = httpx.get(url, timeout=5)
            return r.text if r.status_code == 200 and "#EXTINF" in r.text else None

        text = wait_for(listed, 40, "a plain playlist")
        assert "#EXT-X-PART" not in text and "SERVER-CONTROL" not in text
        assert "PRELOAD-HINT" not in text and "#EXT-X-MAP:" in text
        playback = httpx.get(f"{origin.url}/api/v1/playback/plain", timeout=5).json()
        assert playback["hls"]["low_latency"] is False and playback["hls"]["part_seconds"] is None
    finally:
        stop_publisher(pub)
        origin.stop()
