"""Small asyncio steps every long-lived worker takes: wait for readiness, stop its tasks."""

from __future__ import annotations

__all__ = ["cancel_and_wait", "wait_set"]

import asyncio
import contextlib
import logging
from typing import Any

log = logging.getLogger(__name__)


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
