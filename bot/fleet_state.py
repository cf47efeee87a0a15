"""The fleet's state, as the gateway client sees it: the values, and the two promises a
fleet store makes (the fleet's breaker, the fleet's access token).

The gateway depends on these protocols only; :mod:`bot.store` keeps them in Redis and the
wiring hands the gateway a store's. Without one, each replica keeps its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol


class Lost:
    """What a fleet call gives when the store could not be asked: go on alone."""

    def __repr__(self) -> str:
        return "LOST"


LOST: Final = Lost()


@dataclass(frozen=True, slots=True)
class FleetToken:
    value: str
    expires_at: float  # wall clock (time.time()), the same on every replica
    refresh_at: float  # when a replica should take a new one (before it expires)


@dataclass(frozen=True, slots=True)
class FleetBreakerState:
    open_for: float  # seconds the fleet's pause has left (0: not paused)
    failing_since: datetime | None
    closed_at: float | None  # wall clock of the last close, when one was announced
    opened_at: float | None = None  # wall clock of the last open, when one was announced

    @property
    def closing_due(self) -> bool:
        """Opened since it was last closed: the next success must say it closes."""
        return self.opened_at is not None and (
            self.closed_at is None or self.closed_at < self.opened_at
        )


class FleetTokens(Protocol):
    """The fleet's access token and the lock on refreshing it."""

    @property
    def lock_seconds(self) -> float:
        """How long a refresh may hold the lock before another replica may take it."""
        ...

    async def read(self) -> FleetToken | Lost | None: ...

    async def lock(self) -> bool | Lost: ...

    async def publish(
        self, value: str, expires_in: float, refresh_in: float
    ) -> FleetToken | Lost: ...

    async def unlock(self) -> None: ...

    async def forget(self, value: str) -> None: ...

    def now(self) -> float: ...


class FleetBreaker(Protocol):
    """The fleet's breaker: open for all, one trial for the fleet, closed for all."""

    async def read(self) -> FleetBreakerState | Lost: ...

    async def opened(self, failing_since: datetime | None, cooldown: float) -> None: ...

    async def trial(self, seconds: float) -> bool | Lost: ...

    async def closed(self) -> None: ...

    @property
    def last_seen(self) -> FleetBreakerState | None: ...

    def wall_now(self) -> float: ...
