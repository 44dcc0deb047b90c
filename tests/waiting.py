"""Waiting for a condition against a deadline (never a bare sleep): one sync, one async helper.

Both poll `predicate` until it returns something truthy and return that value; when the
deadline passes they fail with an `AssertionError` naming `what` was awaited, the last value
seen and the last transient error (HTTP, OS, parse) the predicate raised. Any other exception
(an `AssertionError` from a process that died, say) ends the wait at once.
"""

from __future__ import annotations

__all__ = ["TRANSIENT", "wait_for", "wait_for_async"]

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

import httpx

T = TypeVar("T")

# What a predicate may raise while the thing it looks at is still coming up.
TRANSIENT: tuple[type[Exception], ...] = (httpx.HTTPError, OSError, ValueError, KeyError)


def _timed_out(what: str, timeout: float, last: object, error: Exception | None) -> AssertionError:
    detail = f"; last error: {error!r}" if error is not None else ""
    return AssertionError(
        f"timed out after {timeout:g}s waiting for {what} (last value {last!r}{detail})"
    )


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: object = None
    error: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except TRANSIENT as exc:
            error = exc
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last, error)
        time.sleep(interval)


async def wait_for_async(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float,
    what: str,
    interval: float = 0.02,
) -> T:
    """`wait_for` inside an event loop: `predicate` may be a plain or an async callable."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: object = None
    error: Exception | None = None
    while True:
        try:
            result = predicate()
            value = await result if inspect.isawaitable(result) else cast(T, result)
            if value:
                return value
            last = value
        except TRANSIENT as exc:
            error = exc
        if loop.time() >= deadline:
            raise _timed_out(what, timeout, last, error)
        await asyncio.sleep(interval)
