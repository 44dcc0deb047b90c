"""One mapping of errors to responses: status, body and headers the same wherever answered."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from sender_common.errors import (
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
    UnavailableError,
    install_error_handlers,
)


class CacheDown(Exception):
    pass


def _client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app, {CacheDown: "shared cache"})

    @app.get("/{what}")
    def fail(what: str) -> None:
        raise {
            "db": OperationalError("SELECT 1", {}, Exception("gone")),
            "cache": CacheDown(),
            "busy": UnavailableError("full", retry_after=7),
            "slow": TooManyRequestsError("slow down", retry_after=3),
            "who": UnauthorizedError("token required"),
            "none": NotFoundError("no such thing"),
        }[what]

    return TestClient(app, raise_server_exceptions=False)


def test_a_dependency_down_is_the_one_503_shape() -> None:
    c = _client()
    for path, detail in [
        ("/db", "database unavailable: OperationalError"),
        ("/cache", "shared cache unavailable: CacheDown"),
    ]:
        r = c.get(path)
        assert (r.status_code, r.json(), r.headers["retry-after"]) == (503, {"detail": detail}, "2")


def test_headers_come_with_the_error() -> None:
    c = _client()
    assert c.get("/busy").headers["retry-after"] == "7"
    assert c.get("/slow").status_code == 429 and c.get("/slow").headers["retry-after"] == "3"
    assert c.get("/who").headers["www-authenticate"] == "Bearer"
    none = c.get("/none")
    assert none.status_code == 404 and "retry-after" not in none.headers
    assert NotFoundError("x").headers() == {}
    assert UnavailableError("x", retry_after=4).headers() == {"Retry-After": "4"}
