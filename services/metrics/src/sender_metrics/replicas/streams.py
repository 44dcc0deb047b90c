"""Stream states in one Redis hash, endpoint -> JSON; an older `at` never overwrites."""

from __future__ import annotations

__all__ = ["RedisStreams"]

from sender_common.viewers.batch import StreamStateData
from sender_metrics.replicas.connection import RedisConnection
from sender_metrics.streams import StreamBook

# KEYS streams hash; ARGV endpoint, state JSON, at
PUT = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and tonumber(ARGV[3]) < cjson.decode(held)['at'] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class RedisStreams:
    """Writes go to Redis; `local` is this replica's copy for its collector (`refresh`)."""

    def __init__(self, conn: RedisConnection, local: StreamBook) -> None:
        self.conn = conn
        self.local = local

    async def put(self, data: StreamStateData) -> bool:
        stored = await self.conn.script(PUT)(
            keys=[self.conn.keys.streams],
            args=[data.endpoint, data.model_dump_json(), repr(data.at)],
        )
        if stored:
            self.local.update(data)
        return bool(stored)

    async def refresh(self) -> None:
        held = await self.conn.client.hgetall(self.conn.keys.streams)
        self.local.load(StreamStateData.model_validate_json(raw) for raw in held.values())
