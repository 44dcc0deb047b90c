"""The web player's page and asset routes, on a bare FastAPI app."""

from __future__ import annotations

from pathlib import Path

import pytest

from sender_common.player import player_router
from tests.sender_common.bare_apps import (
    TestClient,
    assert_json_refusal,
    built_dist,
    router_client,
)


def _client(dist_dir: Path) -> TestClient:
    return router_client(player_router(dist_dir))


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    js, css = "window.senderPlayerLoaded = true;\n", ".video-js { color: #fff; }\n"
    return built_dist(tmp_path, "player", js, css)


@pytest.fixture
def client(dist: Path) -> TestClient:
    return _client(dist)


def test_page_renders_for_valid_slug(client: TestClient) -> None:
    resp = client.get("/sender/player/studio-1")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    body = resp.text
    assert "<title>Sender — studio-1</title>" in body
    assert 'id="sender-player"' in body
    assert 'data-endpoint="studio-1"' in body
    assert 'data-api-base=""' in body
    assert 'src="/sender/player-assets/player.js"' in body
    assert 'href="/sender/player-assets/player.css"' in body
    assert "not built" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/sender/player/%2E%2E",
        "/sender/player/A%20B",
        "/sender/player/Upper",
        "/sender/player/-leading-dash",
        "/sender/player/under_score",
        "/sender/player/studio%0A",
        "/sender/player/" + "a" * 64,
    ],
)
def test_bad_slug_is_404_json(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    assert isinstance(resp.json()["detail"], str)


def test_longest_valid_slug(client: TestClient) -> None:
    assert client.get("/sender/player/" + "a" * 63).status_code == 200


def test_assets_served_with_types_and_cache(client: TestClient) -> None:
    js = client.get("/sender/player-assets/player.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.headers["cache-control"] == "public, max-age=300"
    assert "senderPlayerLoaded" in js.text

    css = client.get("/sender/player-assets/player.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize(
    "path",
    [
        "/sender/player-assets/unknown.js",
        "/sender/player-assets/secret.txt",
        "/sender/player-assets/..%2Fsecret.txt",
        "/sender/player-assets/%2E%2E%2Fsecret.txt",
        "/sender/player-assets/..%5Csecret.txt",
        "/sender/player-assets/player.js.map",
    ],
)
def test_unknown_assets_and_traversal_are_404_json(client: TestClient, path: str) -> None:
    assert_json_refusal(client.get(path), (404,), "outside dist")


def test_not_built_page_explains_and_assets_404(tmp_path: Path) -> None:
    client = _client(tmp_path / "missing-dist")
    page = client.get("/sender/player/studio")
    assert page.status_code == 200
    assert "player assets not built: run <code>make player</code>" in page.text
    assert "/sender/player-assets/player.js" not in page.text

    asset = client.get("/sender/player-assets/player.js")
    assert asset.status_code == 404
    assert asset.headers["content-type"].startswith("application/json")
    assert "make player" in asset.json()["detail"]


def test_default_dist_serves_real_bundle_when_built() -> None:
    from sender_common.player import default_dist_dir

    assert (default_dist_dir() / "player.js").is_file(), (
        f"player bundle missing in {default_dist_dir()}: run `make player`"
        " (`make setup` and `make test` build it)"
    )
    client = _client(default_dist_dir())
    resp = client.get("/sender/player-assets/player.js")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/javascript")
    assert len(resp.content) > 10_000
