"""FastAPI dependencies every role shares: what the skeleton installs in `app.state` (the
engine, a session over it) and `from_state`, with which a role's `deps.py` declares its own."""

from __future__ import annotations

__all__ = ["EngineDep", "SessionDep", "from_state", "get_session"]

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency giving `app.state.<name>`, which the role's runtime installed
    (`RoleRoutes.state`); type it with `Annotated[T, Depends(from_state(name))]`."""

    def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"get_{name}"
    return get


EngineDep = Annotated[Engine, Depends(from_state("engine"))]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
