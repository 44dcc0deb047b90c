"""The operator console's page and asset routes, on a bare FastAPI app."""

from __future__ import annotations

from pathlib import Path

import pytest

from sender_common.player import console_router, default_dist_dir
from tests.sender_common.bare_apps import TestClient, built_dist, router_client


def _client(dist: Path) -> TestClient:
    return router_client(console_router(dist))


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    return built_dist(
        tmp_path, "console", "window.consoleLoaded = true;\n", "body { color: #fff; }\n"
    )


def test_page_is_a_static_shell_with_a_strict_policy(dist: Path) -> None:
    r = _client(dist).get("/sender/console")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["cache-control"] == "no-cache"
    assert '<script src="/sender/console-assets/console.js" defer></script>' in r.text
    assert "<script>" not in r.text and "style=" not in r.text  # nothing inline for the CSP


def test_assets_are_served_from_dist_only(dist: Path) -> None:
    client = _client(dist)
    r = client.get("/sender/console-assets/console.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.text == "window.consoleLoaded = true;\n"
    assert client.head("/sender/console-assets/console.css").status_code == 200
    for name in ("secret.txt", "..%2Fsecret.txt", "player.js"):
        r = client.get(f"/sender/console-assets/{name}")
        assert r.status_code == 404
        assert r.json()["detail"]


def test_not_built_says_how_to_build(tmp_path: Path) -> None:
    client = _client(tmp_path / "empty")
    page = client.get("/sender/console")
    assert page.status_code == 200
    assert "make player" in page.text and "console.js" not in page.text
    r = client.get("/sender/console-assets/console.js")
    assert r.status_code == 404
    assert r.json() == {"detail": "console assets not built: run `make player`"}


def test_the_real_bundle_is_built() -> None:
    built = default_dist_dir()
    assert (built / "console.js").is_file(), (
        f"console bundle missing in {built}: run `make player`"
        " (`make setup` and `make test` build it)"
    )
    assert (built / "console.css").is_file()
    assert "sender.console.token" in (built / "console.js").read_text()
