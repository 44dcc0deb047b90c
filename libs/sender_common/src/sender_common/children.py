"""A role's long-lived workers, declared once as a list of named children.

The role's lifespan starts them in order and stops them in reverse; the same list serves
standalone uvicorn, `sender up`, and a role mounted into a host application.
"""

from __future__ import annotations

__all__ = ["Child", "Periodic", "run_children"]

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Child:
    name: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]


class Periodic:
    """Calls `fn` every `interval` seconds (drift-free), logging and surviving its errors."""

    def __init__(
        self, name: str, interval: float, fn: Callable[[], Awaitable[object] | object]
    ) -> None:
        self.name = name
        self.interval = interval
        self._fn = fn
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.failures = 0

    def child(self) -> Child:
        return Child(self.name, self.start, self.stop)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_once(self) -> None:
        try:
            result = self._fn()
            if inspect.isawaitable(result):
                await result
            self.runs += 1
        except asyncio.CancelledError:
            raise
        except Exception:  # a periodic worker must outlive one bad run
            self.failures += 1
            log.exception("%s: run failed", self.name)

    async def _loop(self) -> None:
        next_at = time.monotonic()
        while True:
            await self.run_once()
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
                delay = 0
            await asyncio.sleep(delay)


@contextlib.asynccontextmanager
async def run_children(children: Sequence[Child]) -> AsyncIterator[list[str]]:
    """Start each child in order; on exit stop the started ones in reverse."""
    started: list[Child] = []
    try:
        for child in children:
            await child.start()
            started.append(child)
            log.debug("started %s", child.name)
        yield [c.name for c in started]
    finally:
        for child in reversed(started):
            try:
                await child.stop()
            except Exception:
                log.exception("stopping %s failed", child.name)
