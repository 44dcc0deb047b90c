"""`SingleFlight`: concurrent callers of a key share one run; a caller's cancel spares the rest."""

from __future__ import annotations

import asyncio

import pytest

from sender_common.tasks import SingleFlight


async def test_concurrent_callers_share_one_run_and_its_error() -> None:
    flights = SingleFlight()
    runs = 0
    gate, started = asyncio.Event(), asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        started.set()
        await gate.wait()
        return 7

    callers = [asyncio.create_task(flights.run("k", work)) for _ in range(10)]
    # the run's task was queued behind every caller: once it started, all have joined
    await asyncio.wait_for(started.wait(), 5)
    callers[0].cancel()  # one viewer leaves: the others still get the result
    gate.set()
    results = await asyncio.gather(*callers[1:])
    assert results == [7] * 9 and runs == 1 and len(flights) == 0

    async def fail() -> int:
        raise ValueError("upstream said no")

    with pytest.raises(ValueError, match="upstream said no"):
        await flights.run("k", fail)
    assert len(flights) == 0  # a later call runs afresh
    await flights.close()
