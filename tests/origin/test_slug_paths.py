"""Every origin management route with a `{slug}` answers a malformed slug with a 422 JSON body
naming the path's slug, before any handler runs: no row is written, nothing is a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from sender_origin.main import create_app
from sender_origin.settings import OriginSettings
from tests.procs import free_port

BAD_SLUGS = ["Upper", "-lead", "a" * 64, "under_score", "dot.ted", "sp ace", "é"]
ROUTERS = ("/api/v1/endpoints/{slug}", "/api/v1/streams/{slug}")
EXPECTED_ROUTES = {
    ("DELETE", "/api/v1/endpoints/{slug}"),
    ("GET", "/api/v1/endpoints/{slug}"),
    ("PATCH", "/api/v1/endpoints/{slug}"),
    ("POST", "/api/v1/endpoints/{slug}/rotate-key"),
    ("GET", "/api/v1/endpoints/{slug}/generations"),
    ("GET", "/api/v1/endpoints/{slug}/recordings"),
    ("GET", "/api/v1/endpoints/{slug}/recordings/{generation}.mp4"),
    ("DELETE", "/api/v1/endpoints/{slug}/recordings/{generation}"),
    ("GET", "/api/v1/streams/{slug}"),
    ("GET", "/api/v1/streams/{slug}/events"),
    ("GET", "/api/v1/streams/{slug}/viewers"),
    ("POST", "/api/v1/streams/{slug}/start"),
    ("POST", "/api/v1/streams/{slug}/stop"),
    ("POST", "/api/v1/streams/{slug}/kick"),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("origin")
    settings = OriginSettings(data_dir=data_dir, rtmp_port=free_port(), srt_port=0)
    with TestClient(create_app(settings)) as c:
        assert c.post("/api/v1/endpoints", json={"slug": "cam"}).status_code == 201
        yield c


def slug_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every documented route under the two routers with a slug."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(
        (method.upper(), path)
        for path, ops in paths.items()
        if path.startswith(ROUTERS)
        for method in ops
    )


def table_counts(client: TestClient) -> dict[str, int]:
    engine = client.app.state.manager.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        return {
            name: s.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }


def test_every_slug_route_is_checked(client: TestClient) -> None:
    assert set(slug_routes(client)) == EXPECTED_ROUTES


@pytest.mark.parametrize("bad", BAD_SLUGS)
def test_a_bad_slug_is_a_422_naming_it_and_touches_nothing(client: TestClient, bad: str) -> None:
    before = table_counts(client)
    endpoint = client.get("/api/v1/endpoints/cam").json()
    for method, path in slug_routes(client):
        url = path.replace("{slug}", bad).replace("{generation}", "1")
        r = client.request(method, url, json={} if method == "PATCH" else None)
        assert r.status_code == 422, (method, url, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json"
        locs = [err["loc"] for err in r.json()["detail"]]
        assert ["path", "slug"] in locs, (method, url, locs)
    assert table_counts(client) == before
    assert client.get("/api/v1/endpoints/cam").json() == endpoint
    assert client.get("/api/v1/streams").json() == []


def test_a_good_slug_still_reaches_the_handlers(client: TestClient) -> None:
    assert client.get("/api/v1/endpoints/cam").status_code == 200
    assert client.get("/api/v1/streams/cam").status_code == 200
    assert client.get("/api/v1/endpoints/nosuch").json() == {"detail": "no endpoint 'nosuch'"}
    assert client.get("/api/v1/streams/nosuch").status_code == 404
    assert client.get("/api/v1/endpoints/cam/recordings").json() == []
