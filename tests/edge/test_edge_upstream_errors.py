"""Upstream failures that reach a viewer: `502 {"detail": ...}` (UpstreamError), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sender_edge.main import create_app
from sender_edge.settings import EdgeSettings
from tests.edge.test_edge_api import UP, resolve, upstream

ROOT = "/sender/hls/cam"
ESCAPING_DVR = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n../other/1/src/seg3.m4s\n"


@pytest.fixture
def answers() -> dict[str, tuple[int, bytes]]:
    """Path -> the scripted upstream's (status, body) in place of its usual answer."""
    return {}


@pytest.fixture
def client(tmp_path: Path, answers: dict[str, tuple[int, bytes]]) -> Iterator[TestClient]:
    def scripted(request: httpx.Request) -> httpx.Response:
        answer = answers.get(request.url.path)
        return upstream(request) if answer is None else httpx.Response(answer[0], content=answer[1])

    settings = EdgeSettings(data_dir=tmp_path, hls_segment_seconds=1, upstream_url=UP)
    app = create_app(settings, transport=httpx.MockTransport(scripted), resolver=resolve)
    with TestClient(app) as c:
        assert c.post("/api/v1/edge/sessions", json={"endpoint": "cam"}).status_code == 200
        yield c


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
    client: TestClient,
    answers: dict[str, tuple[int, bytes]],
    path: str,
    answer: tuple[int, bytes],
    detail: str,
) -> None:
    answers[f"{ROOT}/{path}"] = answer
    r = client.get(f"{ROOT}/{path}")
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/json"
    assert detail in r.json()["detail"]
    assert "retry-after" not in r.headers


def test_an_upstream_without_the_file_is_still_404(
    client: TestClient, answers: dict[str, tuple[int, bytes]]
) -> None:
    answers[f"{ROOT}/dvr.m3u8"] = (404, b"")
    assert client.get(f"{ROOT}/dvr.m3u8").status_code == 404
    assert client.get(f"{ROOT}/1/src/seg9.m4s").status_code == 404
