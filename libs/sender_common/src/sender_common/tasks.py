"""Small asyncio steps every long-lived worker takes: wait for readiness, stop its tasks."""

from __future__ import annotations

__all__ = ["SingleFlight", "cancel_and_wait", "wait_set"]

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

log = logging.getLogger(__name__)
T = TypeVar("T")


async def wait_set(event: asyncio.Event, timeout: float) -> bool:
    """Whether `event` is set within `timeout` seconds."""
    if event.is_set():
        return True
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):  # no task per call, unlike wait_for
            await event.wait()
    return event.is_set()


async def cancel_and_wait(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel `tasks` (None: no task) and wait until every one has ended; how each ended
    (cancelled, or an error it raised while stopping) is not the caller's concern."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    ended = await asyncio.gather(*running, return_exceptions=True)
    for task, result in zip(running, ended, strict=True):
        if isinstance(result, Exception):
            log.debug("%s ended with %r while stopping", task.get_name(), result)


class SingleFlight:
    """One run per key at a time: concurrent callers of a key await the same task, and a
    caller's cancel spares the others (the run goes on while anyone may still want it)."""

    def __init__(self, name: str = "flight") -> None:
        self._name = name
        self._flights: dict[str, asyncio.Task[Any]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """`make()`'s result (or error), shared with every concurrent caller of `key`."""
        task = self._flights.get(key)
        if task is None:

            async def run() -> Any:
                return await make()

            task = asyncio.create_task(run(), name=f"{self._name}-{key}")
            self._flights[key] = task
            task.add_done_callback(lambda done: self._done(key, done))
        return cast(T, await asyncio.shield(task))

    def _done(self, key: str, task: asyncio.Task[Any]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved here too: every caller may have gone away

    async def close(self) -> None:
        """Cancel the runs under way and wait for them to end."""
        tasks = list(self._flights.values())
        self._flights.clear()
        await cancel_and_wait(*tasks)
