"""The role skeleton on a toy role: what every role app gets, and a role mounted into a host
app running its children inside the host's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from sender_common.children import Child
from sender_common.errors import NotFoundError
from sender_common.roles import Role, RoleRoutes, RoleRuntime
from sender_common.settings import CommonSettings

TOKEN = "toy-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class ToyRuntime(RoleRuntime[CommonSettings]):
    role = "toy"

    def __init__(self, settings: CommonSettings, registry: CollectorRegistry) -> None:
        super().__init__(settings, registry)
        self.events: list[str] = []

    def _child(self, name: str) -> Child:
        async def start() -> None:
            self.events.append(f"start {name}")

        async def stop() -> None:
            self.events.append(f"stop {name}")

        return Child(name, start, stop)

    def children(self) -> list[Child]:
        return [self.db.child(), self._child("a"), self._child("b")]

    def routes(self) -> RoleRoutes:
        guarded = APIRouter(prefix="/secrets")
        public = APIRouter(prefix="/open")

        @guarded.get("")
        async def secrets() -> dict[str, str]:
            return {"secret": "yes"}

        @guarded.get("/missing")
        async def missing() -> dict[str, str]:
            raise NotFoundError("no such secret")

        @public.get("")
        async def open_route(request: Request) -> dict[str, object]:
            return {"state": request.app.state.toy}

        @public.get("/busy")
        async def busy() -> dict[str, str]:
            raise TimeoutError("toy store slow")

        return RoleRoutes(
            guarded=[guarded],
            public=[public],
            state={"toy": "here"},
            errors={TimeoutError: _busy},
        )

    def describe(self) -> dict[str, object]:
        return {"capabilities": ["toy"]}

    async def readiness(self) -> dict[str, bool]:
        return {**await super().readiness(), "b": "b" in self.started}


async def _busy(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"busy: {exc}"}, status_code=503)


TOY = Role(CommonSettings, ToyRuntime, description="A role that tests the skeleton.")


def test_standalone_app_has_the_skeleton_and_the_role_routes(tmp_path: Path) -> None:
    app = TOY.create_app(CommonSettings(data_dir=tmp_path, api_token=TOKEN))
    runtime: ToyRuntime = app.state.runtime
    assert runtime.events == []  # nothing runs before the lifespan
    with TestClient(app) as client:
        assert runtime.events == ["start a", "start b"]
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "b": True}
        node = client.get("/api/v1/node").json()
        assert node["role"] == "toy"
        assert node["manifest"]["capabilities"] == ["toy"]
        assert node["manifest"]["children"] == ["database", "a", "b"]
        assert node["manifest"]["running_children"] == ["database", "a", "b"]

        refused = client.get("/api/v1/secrets")
        assert refused.status_code == 401
        assert refused.json() == {"detail": "missing or wrong bearer token"}
        assert client.get("/api/v1/secrets", headers=AUTH).json() == {"secret": "yes"}
        missing = client.get("/api/v1/secrets/missing", headers=AUTH)
        assert (missing.status_code, missing.json()) == (404, {"detail": "no such secret"})
        assert client.get("/api/v1/open").json() == {"state": "here"}
        busy = client.get("/api/v1/open/busy")
        assert (busy.status_code, busy.json()) == (503, {"detail": "busy: toy store slow"})

        assert client.get("/sender/player/cam").status_code == 404  # not declared
        assert client.get("/sender/hls/cam/live.m3u8").status_code == 404  # no HLS app
        assert "sender_toy_auth_failures_total 1.0" in client.get("/metrics").text
        assert client.get("/openapi.json").json()["info"]["title"] == "Sender toy"
    assert runtime.events[2:] == ["stop b", "stop a"]
    assert runtime.started == []


def test_mounted_role_runs_its_children_in_the_host_lifespan(tmp_path: Path) -> None:
    @asynccontextmanager
    async def host_lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.events.append("host up")
        yield
        runtime.events.append("host down")

    host = FastAPI(lifespan=host_lifespan)

    @host.get("/host-own")
    async def own() -> dict[str, str]:
        return {"host": "yes"}

    runtime = TOY.mount(host, CommonSettings(data_dir=tmp_path))
    assert runtime.started == []
    with TestClient(host) as client:
        # the role's children run around the host's own lifespan: up before, down after
        assert runtime.events == ["start a", "start b", "host up"]
        assert runtime.started == ["database", "a", "b"]
        assert client.get("/host-own").json() == {"host": "yes"}
        assert client.get("/api/v1/secrets").json() == {"secret": "yes"}  # no token set
        assert client.get("/api/v1/open").json() == {"state": "here"}
        node = client.get("/api/v1/node").json()
        assert node["manifest"]["running_children"] == ["database", "a", "b"]
    assert runtime.events == ["start a", "start b", "host up", "host down", "stop b", "stop a"]
    assert runtime.started == []
