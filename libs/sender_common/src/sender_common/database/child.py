"""The database as a role child: the schema is created in the background, with retries,
so a role starts (not ready) while its database is still coming up."""

from __future__ import annotations

import asyncio
import logging

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from sender_common.children import Child
from sender_common.database.engine import create_db_engine, database_ready, init_schema
from sender_common.settings import CommonSettings
from sender_common.tasks import cancel_and_wait, wait_set

log = logging.getLogger(__name__)


class DatabaseChild:
    def __init__(self, settings: CommonSettings) -> None:
        self.engine = create_db_engine(settings)
        self.schema_ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def child(self) -> Child:
        return Child("database", self.start, self.stop)

    def ready(self) -> bool:
        return self.schema_ready.is_set() and database_ready(self.engine)

    async def start(self) -> None:
        try:
            await asyncio.to_thread(init_schema, self.engine)
            self.schema_ready.set()
        except Exception as exc:  # not there yet: keep trying in the background
            log.warning("database not available yet (%s); retrying", type(exc).__name__)
            self._task = asyncio.create_task(self._retry(), name="database-init")

    async def _retry(self) -> None:
        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=0.5, max=5),
            retry=retry_if_exception_type(Exception),
        ):
            with attempt:
                await asyncio.to_thread(init_schema, self.engine)
        self.schema_ready.set()
        log.info("database ready")

    async def wait_ready(self, timeout: float) -> bool:
        return await wait_set(self.schema_ready, timeout)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self.engine.dispose()
