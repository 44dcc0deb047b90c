"""FastAPI dependencies every role shares (Annotated aliases over what the skeleton installs
in `app.state`); a role's own `deps.py` adds its parts."""

from __future__ import annotations

__all__ = ["EngineDep", "SessionDep", "get_engine", "get_session"]

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
