"""The fleet's breaker: when one replica opens it, every replica pauses, and the
whole fleet makes one trial call when the cool-down is over.

Each replica keeps its own breaker (it decides on its own calls, and it is what
works while Redis is lost); this is what they tell each other: "open until",
"closed at", and who holds the trial.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.fleet_state import FleetBreakerState, Lost
from bot.store.redis import FleetStore

if TYPE_CHECKING:  # Redis is imported only when QRINFO_REDIS_URL is set (FleetStore)
    from redis.asyncio import Redis

FRESH_SECONDS = 0.25  # a replica reads the fleet's breaker at most this often


class RedisBreaker:
    """The fleet's breaker, in Redis (a :class:`FleetBreaker`)."""

    def __init__(
        self,
        store: FleetStore,
        *,
        scope: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """*scope*: the gateway's own part of the keys (none for the default gateway)."""
        self._store = store
        self._open = store.key(*scope, "breaker", "open")
        self._trial = store.key(*scope, "breaker", "trial")
        self._closed = store.key(*scope, "breaker", "closed")
        self._opened = store.key(*scope, "breaker", "opened")
        self._clock = clock
        self._wall_clock = wall_clock
        self._seen: tuple[float, FleetBreakerState] | None = None  # (when read, what)

    async def read(self) -> FleetBreakerState | Lost:
        """The fleet's breaker (read at most every FRESH_SECONDS)."""
        now = self._clock()
        if self._seen is not None and now - self._seen[0] < FRESH_SECONDS:
            return self._seen[1]

        async def call(redis: Redis) -> FleetBreakerState:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.get(self._open)
                pipe.pttl(self._open)
                pipe.get(self._closed)
                pipe.get(self._opened)
                raw, ttl, closed, opened = await pipe.execute()
            since = json.loads(raw).get("failing_since") if raw else None
            return FleetBreakerState(
                open_for=max(0, int(ttl)) / 1000 if raw else 0.0,
                failing_since=datetime.fromisoformat(since) if since else None,
                closed_at=float(closed) if closed else None,
                opened_at=float(opened) if opened else None,
            )

        fleet = await self._store.run("reading the gateway's breaker", call)
        if not isinstance(fleet, Lost):
            self._seen = (now, fleet)
        return fleet

    async def opened(self, failing_since: datetime | None, cooldown: float) -> None:
        """This replica opened its breaker: pause the fleet for *cooldown* seconds."""
        body = json.dumps({"failing_since": failing_since.isoformat() if failing_since else None})

        async def call(redis: Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.set(self._open, body, px=max(1, int(cooldown * 1000)))
                pipe.set(self._opened, repr(self._wall_clock()), ex=3600)
                await pipe.execute()
            # The trial key stays until it expires: a replica that has not yet seen the
            # breaker open again must not make a second trial.

        self._seen = None
        await self._store.run("publishing the open breaker", call)

    async def trial(self, seconds: float) -> bool | Lost:
        """May this replica make the fleet's one trial call (for at most *seconds*)?"""

        async def call(redis: Redis) -> bool:
            return bool(await redis.set(self._trial, "1", nx=True, px=max(1, int(seconds * 1000))))

        return await self._store.run("claiming the trial call", call)

    async def closed(self) -> None:
        """The trial (or any call) succeeded after a pause: every replica may call again."""
        now = self._wall_clock()

        async def call(redis: Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._open, self._trial)
                pipe.set(self._closed, repr(now), ex=3600)
                await pipe.execute()

        self._seen = None
        await self._store.run("publishing the closed breaker", call)

    @property
    def last_seen(self) -> FleetBreakerState | None:
        """What the last read saw (without asking Redis again)."""
        return self._seen[1] if self._seen is not None else None

    def wall_now(self) -> float:
        return self._wall_clock()


__all__ = ["RedisBreaker"]
