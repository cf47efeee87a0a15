"""Rate limits shared by every replica: GCRA in one Lua script, so no two replicas race.

The same algorithm as the in-process limiter (one "theoretical arrival time"
per key): exact across replicas, and a refusal knows when to try again. Redis'
own clock is used (TIME inside the script), so replicas' clocks do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.fleet_state import LOST, Lost
from bot.store.redis import FleetStore

if TYPE_CHECKING:  # Redis is imported only when QRINFO_REDIS_URL is set (FleetStore)
    from redis.asyncio import Redis

# KEYS: the keys in the order they are checked. ARGV: per key, its interval and tolerance
# (seconds). Every key must pass; then each takes one. Returns {index of the first key
# that refused (0: none), its wait in seconds as text}.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local wait = tat - now - tolerance
  if wait > 0 then return {i, tostring(wait)} end
  tats[i] = tat
end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local ttl = math.ceil((tats[i] + interval - now + 1) * 1000)
  redis.call('SET', key, tostring(tats[i] + interval), 'PX', ttl)
end
return {0, '0'}
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """At most *per_minute* takes a minute for *key* (bursts up to that many at once)."""

    key: str
    per_minute: int

    @property
    def interval(self) -> float:
        return 60.0 / self.per_minute

    @property
    def tolerance(self) -> float:
        return 60.0 - self.interval


class SharedLimits:
    """Takes from several limits at once, all or none, in Redis."""

    def __init__(self, store: FleetStore) -> None:
        self._store = store
        self._script = store.redis.register_script(_GCRA)

    async def take(self, *limits: Limit) -> tuple[int, float] | Lost:
        """(0, 0) when every limit allowed one more (and each took it); else (the position,
        from 1, of the first that refused, seconds until it would allow); LOST without Redis."""
        keys = [self._store.key("rate", limit.key) for limit in limits]
        args: list[float] = []
        for limit in limits:
            args += [limit.interval, limit.tolerance]

        async def call(_redis: Redis) -> tuple[int, float]:
            refused, wait = await self._script(keys=keys, args=args)
            return int(refused), float(wait)

        result = await self._store.run("checking the rate limits", call)
        return LOST if isinstance(result, Lost) else result
