"""The one skeleton of every role: settings → runtime → app (standalone or mounted in a host).

    Role(settings, runtime, description)                    sender_<role>/main.py
     ├─ create_app(settings)   a FastAPI app of its own     (`uvicorn --factory`)
     └─ mount(host, settings)  the role's routes in `host`, its children in `host`'s lifespan
          RoleRuntime(settings, registry)                   sender_<role>/lifespan.py
           ├─ children()   the long-lived workers, started in order, stopped in reverse
           ├─ routes()     RoleRoutes: /api/v1 routers (guarded or public), viewers' pages
           ├─ hls          the HLS app mounted at /sender/hls (None: the role serves no HLS)
           ├─ describe()   the role's entries in the /api/v1/node manifest
           └─ readiness()  the /readyz checks

The skeleton adds what every role serves the same way: `/healthz`, `/readyz`, `/metrics`,
`/api/v1/node`, the error model, the bearer guard on management routes.
"""

from __future__ import annotations

__all__ = [
    "Role",
    "RoleRoutes",
    "RoleRuntime",
    "build_app",
    "health_router",
    "hls_manifest",
    "instrument",
    "mount_role",
]

import asyncio
import gc
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_fastapi_instrumentator import Instrumentator

from sender_common.auth import AuthFailures, bearer_guard, require_credentials_or_exit
from sender_common.children import Child, run_children
from sender_common.database import DatabaseChild
from sender_common.errors import install_error_handlers
from sender_common.hls.playlist.live import RELEASE_HOOKS
from sender_common.hls.serve.app import HlsApp, HlsFastPath
from sender_common.logs import setup_logging
from sender_common.node import VERSION, NodeIdentity, node_router
from sender_common.player import console_router, player_router
from sender_common.settings import CommonSettings, HlsConfig
from sender_common.viewers import Viewers

S = TypeVar("S", bound=CommonSettings)
GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (Python's default: 700)
R = TypeVar("R", bound="RoleRuntime[Any]")
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class RoleRoutes:
    """What a role serves besides what the skeleton adds to every role."""

    guarded: Sequence[APIRouter] = ()  # under /api/v1, behind SENDER_API_TOKEN
    public: Sequence[APIRouter] = ()  # under /api/v1, open (players; nodes sign their messages)
    # a role viewers watch: their events (/sender/api/v1/events), the web player, the console
    viewers: Viewers | None = None
    state: Mapping[str, object] = field(default_factory=dict)  # app.state that the deps read
    errors: Mapping[type[Exception], ErrorHandler] = field(default_factory=dict)
    # exceptions meaning a dependency is down, with what is down: answered 503 (errors.py)
    dependencies: Mapping[type[Exception], str] = field(default_factory=dict)


class RoleRuntime(ABC, Generic[S]):
    """A role's parts. The skeleton owns identity, database, auth counter and the wiring;
    the role declares `role`, `children()` and `routes()`, and may set `hls`."""

    role: ClassVar[str]
    hls: HlsApp | None = None

    def __init__(self, settings: S, registry: CollectorRegistry) -> None:
        self.settings = settings
        self.auth_failures = AuthFailures(registry, self.role)
        self.db = DatabaseChild(settings)
        self.identity = NodeIdentity.load_or_create(settings.data_dir, settings.node_name)
        self.started: list[str] = []
        self.release_metric = ReleaseMetric(registry, self.role)

    @abstractmethod
    def children(self) -> list[Child]:
        """Every long-lived worker, in start order (the one list the lifespan runs)."""

    @abstractmethod
    def routes(self) -> RoleRoutes: ...

    def describe(self) -> dict[str, object]:
        """Role-specific manifest entries (capabilities, routes, timing)."""
        return {}

    async def readiness(self) -> dict[str, bool]:
        """The /readyz checks; roles add theirs to the database's."""
        return {"database": await asyncio.to_thread(self.db.ready)}

    def manifest(self) -> dict[str, object]:
        return {
            **self.describe(),
            "children": [c.name for c in self.children()],
            "running_children": list(self.started),
        }

    @asynccontextmanager
    async def running(self, app: Any) -> AsyncIterator[None]:
        del app
        async with run_children(self.children()) as names:
            self.started = names
            settle_heap()
            hook = self.release_metric.observe_release
            RELEASE_HOOKS.append(hook)
            try:
                yield
            finally:
                RELEASE_HOOKS.remove(hook)
        self.started = []

    def install(self, app: FastAPI) -> None:
        """Add the role's routes and mounted apps to `app` (its own or a host's)."""
        routes = self.routes()
        app.state.settings = self.settings
        app.state.engine = self.db.engine
        app.state.runtime = self
        for name, value in routes.state.items():
            setattr(app.state, name, value)
        install_error_handlers(app, routes.dependencies)
        for exc_type, handler in routes.errors.items():
            app.add_exception_handler(exc_type, handler)
        app.include_router(self._api_router(routes))
        app.include_router(node_router(self.identity, self.role, self.manifest))
        if self.hls is not None:
            app.mount("/sender/hls", self.hls, name="hls")
        if routes.viewers is not None:
            app.include_router(routes.viewers.router())
            app.include_router(player_router())
            app.include_router(console_router())

    def _api_router(self, routes: RoleRoutes) -> APIRouter:
        api = APIRouter(prefix="/api/v1")
        guard = [Depends(bearer_guard(self.settings.api_token, self.auth_failures))]
        for router in routes.guarded:
            api.include_router(router, dependencies=guard)
        for router in routes.public:
            api.include_router(router)
        return api


@dataclass(frozen=True, slots=True)
class Role(Generic[S, R]):
    """A role's declaration: its settings model, its runtime and what it says about itself."""

    settings: type[S]
    runtime: type[R]  # built as runtime(settings, registry, **options)
    description: str

    @property
    def name(self) -> str:
        return self.runtime.role

    def create_app(self, settings: S | None = None, **options: Any) -> FastAPI:
        """The role's own app (`uvicorn --factory`); `options` go to the runtime."""
        settings = settings or self.settings()
        setup_logging(settings.log_level)
        require_credentials_or_exit(settings, self.name)
        registry = CollectorRegistry()
        runtime = self.runtime(settings, registry, **options)
        return build_app(
            runtime, registry, title=f"Sender {self.name}", description=self.description
        )

    def mount(self, host: FastAPI, settings: S | None = None) -> R:
        """The role inside `host`: its routes are added, its children run in `host`'s lifespan."""
        runtime = self.runtime(settings or self.settings(), CollectorRegistry())
        mount_role(host, runtime)
        return runtime


def build_app(
    runtime: RoleRuntime[Any], registry: CollectorRegistry, *, title: str, description: str
) -> FastAPI:
    """A role's standalone app: health, the role's routes, HTTP metrics, the HLS fast path."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.running(app):
            yield

    app = FastAPI(title=title, version=VERSION, lifespan=lifespan, description=description)
    app.include_router(health_router(runtime.readiness))
    runtime.install(app)
    instrument(app, registry)
    if runtime.hls is not None:
        app.add_middleware(HlsFastPath, hls=runtime.hls)  # added last: outermost
    return app


def mount_role(host: FastAPI, runtime: RoleRuntime[Any]) -> None:
    """Add the role's routes to `host` and run its children within `host`'s lifespan."""
    runtime.install(host)
    inner = host.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with runtime.running(app), inner(app) as state:
            yield state

    host.router.lifespan_context = lifespan


class ReleaseMetric:
    """How long after a live playlist's change its waiting blocking reloads are answered
    (the serving path writes them all in that one turn): per change, the median and the 99th
    percentile waiter, `sender_<role>_hls_release_seconds{quantile}`."""

    def __init__(self, registry: CollectorRegistry, role: str) -> None:
        self.seconds = Histogram(
            f"sender_{role}_hls_release_seconds",
            "Time from a playlist change to the answer of its median / 99th percentile waiter",
            ["quantile"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25),
            registry=registry,
        )
        self.p50, self.p99 = self.seconds.labels("0.5"), self.seconds.labels("0.99")
        self.last = Gauge(
            f"sender_{role}_hls_release_waiters",
            "Blocking reloads released by the latest playlist change that released any",
            registry=registry,
        )

    def observe_release(self, done: list[float]) -> None:
        n = len(done)
        self.p50.observe(done[n // 2])
        self.p99.observe(done[min(n - 1, int(0.99 * n))])
        self.last.set(n)


def settle_heap() -> None:
    """Once started: what the role holds from now on is frozen out of the garbage collector's
    scans, and young collections run less often, so serving a request does not pay for
    rescanning the modules, models and routes a role keeps for its whole life."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 50)


def health_router(ready: Callable[[], Awaitable[dict[str, bool]]]) -> APIRouter:
    """`/healthz` (process alive) and `/readyz` (every check passes)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", response_model=None)
    async def readyz() -> JSONResponse:
        checks = await ready()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    return router


def instrument(app: FastAPI, registry: CollectorRegistry) -> None:
    """HTTP metrics on the app's own registry, exposed at /metrics."""
    Instrumentator(
        registry=registry,
        excluded_handlers=["/metrics", "/healthz", "/readyz"],
        should_group_status_codes=True,
        should_group_untemplated=True,
    ).instrument(app).expose(app, include_in_schema=False, should_gzip=False)


def hls_manifest(hls: HlsConfig) -> dict[str, float | int]:
    return {
        "segment_seconds": hls.segment_seconds,
        "window_segments": hls.window_segments,
        "retention_seconds": hls.retention_seconds,
    }
