"""The origin's database work, one module per domain: `endpoints`, `generations` (with their
renditions), `media_sessions`. Every function is sync, takes the session first and the rest
by keyword; async code calls one through `in_session`."""

from __future__ import annotations

__all__ = ["in_session"]

import asyncio
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

P = ParamSpec("P")
T = TypeVar("T")


async def in_session(
    engine: Engine, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run `fn` with a session of its own in a worker thread (never block the event loop)."""

    def run() -> T:
        with Session(engine) as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(run)
