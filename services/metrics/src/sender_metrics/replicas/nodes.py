"""Node key pins and last accepted sequences in Redis, shared by every replica.

A pin is `HSETNX pins node_id key` (the first writer wins, on whichever replica); a
sequence is checked and stored by one script, so two replicas given the same message
concurrently accept it once.
"""

from __future__ import annotations

__all__ = ["RedisNodes"]

from sender_common.viewers.batch import NodeMessage
from sender_metrics.nodes import OLD_BOOT, REPLAY
from sender_metrics.replicas.connection import RedisConnection

# KEYS[1] the node/channel hash; ARGV boot_id, boot_at, seq. The same rule as
# `sender_metrics.nodes.refusal`, run inside Redis so check-and-store is one step.
ADVANCE = f"""
local last = redis.call('HMGET', KEYS[1], 'boot_id', 'boot_at', 'seq')
if last[1] then
  if ARGV[1] == last[1] and tonumber(ARGV[3]) <= tonumber(last[3]) then return '{REPLAY}' end
  if ARGV[1] ~= last[1] and tonumber(ARGV[2]) < tonumber(last[2]) then return '{OLD_BOOT}' end
end
redis.call('HSET', KEYS[1], 'boot_id', ARGV[1], 'boot_at', ARGV[2], 'seq', ARGV[3])
return ''
"""


class RedisNodes:
    def __init__(self, conn: RedisConnection) -> None:
        self.conn = conn

    async def pinned(self, node_id: str) -> str | None:
        key = await self.conn.client.hget(self.conn.keys.pins, node_id)
        return key.decode() if isinstance(key, bytes) else key

    async def pin(self, node_id: str, public_key: str, role: str) -> str:
        del role  # the database keeps it for operators; here the key is what matters
        async with self.conn.client.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.conn.keys.pins, node_id, public_key)
            pipe.hget(self.conn.keys.pins, node_id)
            _, winner = await pipe.execute()
        return str(winner)

    async def advance(self, msg: NodeMessage, channel: str) -> str | None:
        reason = await self.conn.script(ADVANCE)(
            keys=[self.conn.keys.seq(msg.node_id, channel)],
            args=[msg.boot_id, repr(msg.boot_at), str(msg.seq)],
        )
        return str(reason) or None
