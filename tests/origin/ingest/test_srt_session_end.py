"""However an SRT publish ends, its session is forgotten and its socket closed: an error while
authorizing (a database error, a deleted endpoint) must not leave it queued forever."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sender_origin.ingest.admission import Admission, StreamSink
from sender_origin.ingest.srt.server import SrtIngest
from tests.origin.ingest.srt_caller import free_udp_port, hang_up, srt_call

KEY = "sk_session_end_key"


async def test_an_authorize_error_ends_the_session(caplog: pytest.LogCaptureFixture) -> None:
    running: asyncio.Future[asyncio.Task[None]] = asyncio.get_running_loop().create_future()

    async def authorize(app: str, key: str, peer: str) -> StreamSink:
        task = asyncio.current_task()
        assert task is not None
        running.set_result(task)
        raise RuntimeError(f"no such endpoint for {key}")

    ingest = SrtIngest(
        authorize,
        lambda _key: Admission(None),
        refused=lambda _reason: None,
        port=free_udp_port(),
    )
    await ingest.start()
    call = None
    try:
        with caplog.at_level(logging.INFO, logger="sender_origin"):
            call = await asyncio.to_thread(srt_call, ingest.port, f"publish:live/{KEY}")
            assert call.reason == 0
            session = await asyncio.wait_for(running, 10.0)
            await asyncio.wait_for(session, 10.0)  # ends without raising
        assert ingest.connections == 0
        assert "RuntimeError" in caplog.text
        assert KEY not in caplog.text
    finally:
        if call is not None:
            hang_up(call)
        await ingest.stop()
