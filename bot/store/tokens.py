"""One access token for the whole fleet, in Redis: read by every replica, refreshed by one.

The provider allows 10 live tokens per appId an hour; ten replicas each taking
their own (plus a restart) would lock everyone out. The token and a refresh
lock (with an expiry, so a replica that dies holding it does not block the
others for long) live under the prefix; a rejected token is forgotten only if
it is still the fleet's one, so one rejection means one refresh, not one each.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.fleet_state import FleetToken, Lost
from bot.store.redis import FleetStore

if TYPE_CHECKING:  # Redis is imported only when QRINFO_REDIS_URL is set (FleetStore)
    from redis.asyncio import Redis

# How long a refresh may hold the lock: a token request answers in well under a second; a
# replica that dies holding it blocks the others this long at most (then one takes over).
LOCK_SECONDS = 5.0

# Delete KEYS[1] only if it still holds ARGV[1] (a lock's owner, a token's value).
_DELETE_IF = """
local value = redis.call('GET', KEYS[1])
if value and (value == ARGV[1] or string.find(value, ARGV[1], 1, true) == 1) then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisTokens:
    """The fleet's token and its refresh lock, in Redis (a :class:`FleetTokens`)."""

    lock_seconds = LOCK_SECONDS

    def __init__(
        self,
        store: FleetStore,
        *,
        scope: tuple[str, ...] = (),
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """*scope*: the gateway's own part of the keys (none for the default gateway)."""
        self._store = store
        self._token_key = store.key(*scope, "token")
        self._lock_key = store.key(*scope, "token", "lock")
        self._delete_if = store.redis.register_script(_DELETE_IF)
        self._owner = uuid.uuid4().hex  # this replica, as the lock's holder
        self._wall_clock = wall_clock

    def __repr__(self) -> str:
        return f"RedisTokens({self._store!r})"

    async def read(self) -> FleetToken | Lost | None:
        """The fleet's token, if one is held."""

        async def call(redis: Redis) -> FleetToken | None:
            raw = await redis.get(self._token_key)
            if raw is None:
                return None
            data = json.loads(raw)
            return FleetToken(
                str(data["value"]), float(data["expires_at"]), float(data["refresh_at"])
            )

        return await self._store.run("reading the access token", call)

    async def lock(self) -> bool | Lost:
        """True when this replica may refresh (and must publish or unlock)."""

        async def call(redis: Redis) -> bool:
            return bool(await redis.set(self._lock_key, self._owner, nx=True, px=_ms(LOCK_SECONDS)))

        return await self._store.run("locking the token refresh", call)

    async def publish(self, value: str, expires_in: float, refresh_in: float) -> FleetToken | Lost:
        """Store the new token for everyone and release the lock."""
        now = self._wall_clock()
        token = FleetToken(value, now + expires_in, now + refresh_in)
        body = json.dumps(
            {"value": value, "expires_at": token.expires_at, "refresh_at": token.refresh_at}
        )

        async def call(redis: Redis) -> FleetToken:
            await redis.set(self._token_key, body, px=_ms(expires_in))
            await self._delete_if(keys=[self._lock_key], args=[self._owner])
            return token

        return await self._store.run("publishing the access token", call)

    async def unlock(self) -> None:
        async def call(redis: Redis) -> None:
            await self._delete_if(keys=[self._lock_key], args=[self._owner])

        await self._store.run("unlocking the token refresh", call)

    async def forget(self, value: str) -> None:
        """The gateway rejected *value*: drop it, unless another replica already replaced it."""
        prefix = json.dumps({"value": value})[:-1]  # '{"value": "…"' starts the stored JSON

        async def call(redis: Redis) -> None:
            await self._delete_if(keys=[self._token_key], args=[prefix])

        await self._store.run("forgetting a rejected token", call)

    def now(self) -> float:
        return self._wall_clock()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


__all__ = ["RedisTokens"]
