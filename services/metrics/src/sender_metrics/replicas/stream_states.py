"""Stream states in one Redis hash, endpoint -> JSON; an older `at` never overwrites. Every
write bumps a version, so a reader reads (and validates) the hash only when it changed."""

from __future__ import annotations

__all__ = ["RedisStreams"]

from sender_common.viewers.batch import StreamStateData
from sender_metrics.replicas.connection import RedisConnection
from sender_metrics.stream_states import StreamBook

# KEYS streams hash, its version; ARGV endpoint, state JSON, at
PUT = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and tonumber(ARGV[3]) < cjson.decode(held)['at'] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1
"""


class RedisStreams:
    """Writes go to Redis; `local` is this replica's copy for its collector (`refresh`)."""

    def __init__(self, conn: RedisConnection, local: StreamBook) -> None:
        self.conn = conn
        self.local = local
        self._version: str | None = None  # of the hash last read into `local`

    async def put(self, data: StreamStateData) -> bool:
        stored = await self.conn.script(PUT)(
            keys=[self.conn.keys.streams, self.conn.keys.streams_version],
            args=[data.endpoint, data.model_dump_json(), repr(data.at)],
        )
        if stored:
            self.local.update(data)
        return bool(stored)

    async def refresh(self) -> bool:
        """Read the shared states into `local` when they changed since the last read."""
        raw = await self.conn.client.get(self.conn.keys.streams_version)
        version = None if raw is None else str(raw)
        if version is not None and version == self._version:
            return False
        # read after the version: a write in between is read again next time, never missed
        held = await self.conn.client.hgetall(self.conn.keys.streams)
        self.local.load(StreamStateData.model_validate_json(raw) for raw in held.values())
        self._version = version
        return True
