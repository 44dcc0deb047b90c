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
from typing import Literal, TypeVar, cast, overload

import httpx

T = TypeVar("T")
# A predicate's "not yet": falsy values whose type the result does not carry (`cond and value`
# gives `Literal[False] | value`, a lookup `value | None`).
NotYet = None | Literal[False]

# What a predicate may raise while the thing it looks at is still coming up.
TRANSIENT: tuple[type[Exception], ...] = (httpx.HTTPError, OSError, ValueError, KeyError)


class _Poll:
    """One wait's deadline and what the last attempt saw."""

    def __init__(self, what: str, timeout: float, clock: Callable[[], float]) -> None:
        self.what, self.timeout, self.clock = what, timeout, clock
        self.deadline = clock() + timeout
        self.last: object = None
        self.error: Exception | None = None

    def settled(self, value: object) -> bool:
        """True once `value` is truthy; raises when the deadline has passed without it."""
        if value:
            return True
        self.last = value
        if self.clock() >= self.deadline:
            detail = f"; last error: {self.error!r}" if self.error is not None else ""
            raise AssertionError(
                f"timed out after {self.timeout:g}s waiting for {self.what}"
                f" (last value {self.last!r}{detail})"
            )
        return False


def wait_for(
    predicate: Callable[[], T | NotYet], timeout: float, what: str, interval: float = 0.1
) -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout`."""

    def attempt() -> T | NotYet:
        try:
            return predicate()
        except TRANSIENT as exc:
            poll.error = exc
            return None

    poll = _Poll(what, timeout, time.monotonic)
    while not poll.settled(value := attempt()):
        time.sleep(interval)
    return cast(T, value)


@overload
async def wait_for_async(
    predicate: Callable[[], Awaitable[T | NotYet]], timeout: float, what: str, interval: float = ...
) -> T: ...
@overload
async def wait_for_async(
    predicate: Callable[[], T | NotYet], timeout: float, what: str, interval: float = ...
) -> T: ...
async def wait_for_async(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    interval: float = 0.02,
) -> object:
    """`wait_for` inside an event loop: `predicate` may be a plain or an async callable."""

    async def attempt() -> object:
        try:
            result = predicate()
            return await result if inspect.isawaitable(result) else result
        except TRANSIENT as exc:
            poll.error = exc
            return None

    poll = _Poll(what, timeout, asyncio.get_running_loop().time)
    while True:
        value = await attempt()
        if poll.settled(value):
            return value
        await asyncio.sleep(interval)
