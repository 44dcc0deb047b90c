"""Bare FastAPI apps around one router, built asset folders and refusal checks for the
route tests of the shared library."""

from __future__ import annotations

__all__ = ["TestClient", "assert_json_refusal", "built_dist", "router_client"]

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

OUTSIDE = "outside dist\n"


class Reply(Protocol):
    """What the checks read of a response (the test client's, whichever httpx it runs on)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


def router_client(router: APIRouter) -> TestClient:
    """A test client of an app that mounts only `router`."""
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def built_dist(root: Path, bundle: str, js: str, css: str) -> Path:
    """`root/dist` holding `bundle`.js and .css, and a `secret.txt` beside it that must never
    be served."""
    dist = root / "dist"
    dist.mkdir()
    (dist / f"{bundle}.js").write_text(js)
    (dist / f"{bundle}.css").write_text(css)
    (root / "secret.txt").write_text(OUTSIDE)
    return dist


def assert_json_refusal(r: Reply, statuses: tuple[int, ...], secret: str) -> None:
    """`r` refuses with one of `statuses` as a JSON error body, and leaks nothing of `secret`."""
    assert r.status_code in statuses, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    assert r.json()["detail"]
    assert secret not in r.text
