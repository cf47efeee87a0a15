"""Each person's last lookups in Redis, for the fleet (every replica): a capped list per user.

One list per user (newest first), trimmed to a few entries and expiring a while after the
last lookup; LOST whenever Redis is (the caller then uses its own memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.fleet_state import LOST, Lost
from bot.store.redis import FleetStore

if TYPE_CHECKING:  # Redis is imported only when QRINFO_REDIS_URL is set (FleetStore)
    from redis.asyncio import Redis


class FleetHistory:
    """The lists, under the store's prefix (``<prefix>:history:<user>``)."""

    def __init__(self, store: FleetStore) -> None:
        self._store = store

    async def push(self, user_id: str, entry: str, *, keep: int, seconds: int) -> Lost | None:
        """*entry* first in *user_id*'s list, which keeps *keep* entries for *seconds* more."""
        key = self._store.key("history", user_id)

        async def call(redis: Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.lpush(key, entry)
                pipe.ltrim(key, 0, keep - 1)
                pipe.expire(key, seconds)
                await pipe.execute()

        result = await self._store.run("keeping a user's lookup", call)
        return LOST if isinstance(result, Lost) else None

    async def read(self, user_id: str, *, keep: int) -> list[str] | Lost:
        """*user_id*'s entries, newest first (at most *keep*); LOST without Redis."""
        key = self._store.key("history", user_id)

        async def call(redis: Redis) -> list[str]:
            return [str(entry) for entry in await redis.lrange(key, 0, keep - 1)]

        return await self._store.run("reading a user's lookups", call)
