"""The shared HLS app: content types, caching, Range, and no way out of the spool."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI

from sender_common.hls.playlist.partstore import PartStore
from sender_common.hls.serve.app import HlsApp
from sender_common.hls.serve.spoolcache import CachedFile, SpoolCache
from tests.sender_common.bare_apps import TestClient, assert_json_refusal


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    root = tmp_path / "spool"
    (root / "ep/1/src").mkdir(parents=True)
    (root / "ep/1/src/seg_00001.ts").write_bytes(bytes(range(256)) * 4)
    (root / "ep/1/src/index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n")
    (tmp_path / "secret.ts").write_bytes(b"secret")
    os.symlink(tmp_path / "secret.ts", root / "ep/1/src/evil.ts")
    return root


@pytest.fixture
def client(spool: Path) -> TestClient:
    app = FastAPI()

    async def live(endpoint: str, name: str, block: object = None) -> bytes | None:
        return b"#EXTM3U\n" if (endpoint, name) == ("ep", "live.m3u8") else None

    app.mount("/sender/hls", HlsApp(SpoolCache(spool), live=live))
    return TestClient(app)


def test_segment_and_playlist_headers(client: TestClient) -> None:
    seg = client.get("/sender/hls/ep/1/src/seg_00001.ts")
    assert seg.status_code == 200 and len(seg.content) == 1024
    assert seg.headers["content-type"] == "video/mp2t"
    assert seg.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert seg.headers["access-control-allow-origin"] == "*"
    pl = client.get("/sender/hls/ep/1/src/index.m3u8")
    assert pl.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert "no-cache" in pl.headers["cache-control"]
    assert client.get("/sender/hls/ep/live.m3u8").text == "#EXTM3U\n"
    again = client.get(
        "/sender/hls/ep/1/src/seg_00001.ts", headers={"If-None-Match": seg.headers["etag"]}
    )
    assert again.status_code == 304
    head = client.head("/sender/hls/ep/1/src/seg_00001.ts")
    assert head.status_code == 200 and head.headers["content-length"] == "1024"


@pytest.mark.parametrize(
    ("header", "status", "body"),
    [
        ("bytes=0-9", 206, bytes(range(10))),
        ("bytes=1020-", 206, bytes(range(252, 256))),
        ("bytes=-2", 206, bytes([254, 255])),
        ("bytes=5000-", 416, b""),
        ("bytes=9-2", 416, b""),
    ],
)
def test_ranges(client: TestClient, header: str, status: int, body: bytes) -> None:
    r = client.get("/sender/hls/ep/1/src/seg_00001.ts", headers={"Range": header})
    assert r.status_code == status
    if status == 206:
        assert r.content == body


@pytest.mark.parametrize(
    "path",
    [
        "/sender/hls/ep/../secret.ts",
        "/sender/hls/ep/1/%2e%2e/%2e%2e/secret.ts",
        "/sender/hls/ep/1/src%2fseg_00001.ts",
        "/sender/hls/ep//etc/passwd",
        "/sender/hls/ep/1/src/evil.ts",
        "/sender/hls/EP/1/src/seg_00001.ts",
        "/sender/hls/ep/1/src/seg_00001.ts%00",
        "/sender/hls/ep/" + "a" * 300 + ".ts",
        "/sender/hls/ep/1/src/nothing.ts",
        "/sender/hls/ep/1/src/seg_00001.exe",
        "/sender/hls/other/live.m3u8",
        "/sender/hls/ep/.hidden.ts",
    ],
)
def test_nothing_escapes_the_spool(client: TestClient, path: str) -> None:
    assert_json_refusal(client.get(path), (400, 404), "secret")


def test_other_methods_refused(client: TestClient) -> None:
    assert client.post("/sender/hls/ep/1/src/seg_00001.ts").status_code == 405
    assert client.options("/sender/hls/ep/live.m3u8").status_code == 204


def test_file_miss_hook_only_after_a_miss_of_media(spool: Path) -> None:
    """`on_file_miss` (an edge's DVR pull-through) sees media the spool and parts lack, only."""
    asked: list[tuple[str, str]] = []

    async def on_file_miss(endpoint: str, rel: str) -> CachedFile | None:
        asked.append((endpoint, rel))
        if rel == "1/src/seg9.m4s":
            return CachedFile(b"pulled", "video/iso.segment", '"x"', 0, immutable=True)
        return None

    async def live(endpoint: str, name: str, block: object = None) -> bytes | None:
        return None

    parts = PartStore()
    parts.put("ep/1/src/part1.0.m4s", b"part")
    app = FastAPI()
    app.mount(
        "/sender/hls",
        HlsApp(SpoolCache(spool), live=live, parts=parts, on_file_miss=on_file_miss),
    )
    client = TestClient(app)
    assert client.get("/sender/hls/ep/1/src/seg9.m4s").content == b"pulled"
    assert client.get("/sender/hls/ep/1/src/seg_00001.ts").status_code == 200  # in the spool
    assert client.get("/sender/hls/ep/1/src/part1.0.m4s").content == b"part"  # a part
    assert client.get("/sender/hls/ep/1/src/other.m3u8").status_code == 404  # a playlist
    assert client.get("/sender/hls/ep/dvr.m3u8").status_code == 404  # the live resolver's
    missing = client.get("/sender/hls/ep/1/src/seg8.m4s")
    assert missing.status_code == 404 and missing.json() == {"detail": "not found"}
    assert asked == [("ep", "1/src/seg9.m4s"), ("ep", "1/src/seg8.m4s")]
    parts.close()
