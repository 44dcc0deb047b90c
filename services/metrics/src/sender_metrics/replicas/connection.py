"""The Redis client of a metrics replica, and the names of every key it uses."""

from __future__ import annotations

__all__ = ["Keys", "RedisConnection"]

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from sender_common.children import Child

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Keys:
    """Every key under one prefix; endpoints are slugs and node ids are key digests."""

    prefix: str = "sender:metrics:"

    @property
    def pins(self) -> str:
        return f"{self.prefix}pins"

    def seq(self, node_id: str, channel: str) -> str:
        return f"{self.prefix}seq:{node_id}:{channel}"

    @property
    def endpoints(self) -> str:
        return f"{self.prefix}endpoints"

    def viewers(self, endpoint: str) -> str:
        return f"{self.prefix}viewers:{endpoint}"

    def traffic(self, endpoint: str) -> str:
        return f"{self.prefix}traffic:{endpoint}"

    @property
    def streams(self) -> str:
        return f"{self.prefix}streams"

    @property
    def streams_version(self) -> str:
        return f"{self.prefix}streams:version"

    @property
    def leader(self) -> str:
        return f"{self.prefix}leader"


class RedisConnection:
    """One client (with its connection pool) per app, made at start and closed at stop."""

    def __init__(self, url: str, keys: Keys | None = None) -> None:
        self.url = url
        self.keys = keys or Keys()
        self._client: Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the Redis connection is not started")
        return self._client

    def script(self, source: str) -> AsyncScript:
        """A Lua script run by its digest (loaded on first use, again after a Redis restart)."""
        found = self._scripts.get(source)
        if found is None:
            found = self._scripts[source] = self.client.register_script(source)
        return found

    def child(self) -> Child:
        return Child("redis", self.start, self.stop)

    async def start(self) -> None:
        self._client = Redis.from_url(
            self.url,
            decode_responses=True,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            health_check_interval=30,
        )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
            self._scripts.clear()

    async def ready(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, RuntimeError):
            return False
