"""wait_set: set, set while waiting, or not set in time."""

from __future__ import annotations

import asyncio

from sender_common.tasks import wait_set


async def test_wait_set_answers_each_case() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    loop = asyncio.get_running_loop()
    loop.call_soon(event.set)
    assert await wait_set(event, 5) is True
    assert await wait_set(event, 0) is True  # already set: no wait at all
    tasks_before = len(asyncio.all_tasks())
    event.clear()
    waiting = asyncio.ensure_future(wait_set(event, 5))
    await asyncio.sleep(0)  # let it start waiting (an ordering step, not a timing wait)
    assert len(asyncio.all_tasks()) == tasks_before + 1  # only the waiter itself
    event.set()
    assert await waiting is True
