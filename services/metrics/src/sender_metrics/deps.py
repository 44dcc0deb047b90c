"""FastAPI dependencies of the metrics role (Annotated aliases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from sender_metrics.lifespan import MetricsRuntime


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_runtime(request: Request) -> MetricsRuntime:
    runtime: MetricsRuntime = request.app.state.runtime
    return runtime


SessionDep = Annotated[Session, Depends(get_session)]
RuntimeDep = Annotated[MetricsRuntime, Depends(get_runtime)]
