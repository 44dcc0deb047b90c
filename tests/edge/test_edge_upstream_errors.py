"""Upstream failures that reach a viewer: `502 {"detail": ...}` (UpstreamError), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.edge.test_edge_api import FAILING, UP, make_client, poll, state_of

ROOT = "/sender/hls/cam"
ESCAPING_DVR = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n../other/1/src/seg3.m4s\n"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, upstream_url=UP) as c:
        c.post("/api/v1/edge/sessions", json={"endpoint": "cam"})
        poll(lambda: state_of(c, "cam", "live"), 5, "live")
        yield c
    FAILING.clear()


@pytest.mark.parametrize(
    ("path", "answer", "detail"),
    [
        ("dvr.m3u8", (500, b""), "the upstream failed to send the DVR playlist"),
        ("dvr.m3u8", (200, ESCAPING_DVR), "DVR playlist is unusable"),
        ("dvr.m3u8", (200, b"\xff\xfe"), "DVR playlist is unusable"),
        ("1/src/seg3.m4s", (503, b""), "the upstream failed to send this file"),
    ],
)
def test_an_upstream_failure_is_a_502_json_body(
    client: TestClient, path: str, answer: tuple[int, bytes], detail: str
) -> None:
    FAILING[f"{ROOT}/{path}"] = answer
    r = client.get(f"{ROOT}/{path}")
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/json"
    assert detail in r.json()["detail"]
    assert "retry-after" not in r.headers


def test_an_upstream_without_the_file_is_still_404(client: TestClient) -> None:
    FAILING[f"{ROOT}/dvr.m3u8"] = (404, b"")
    assert client.get(f"{ROOT}/dvr.m3u8").status_code == 404
    assert client.get(f"{ROOT}/1/src/seg9.m4s").status_code == 404
