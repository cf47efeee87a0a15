"""A breaker for the gateway: after repeated failures, stop calling it for a while.

closed --(N unavailable results in a row)--> open --(cool-down over)--> half-open
half-open --(the one trial call succeeds)--> closed;  --(it fails)--> open again

While open, lookups fail at once (GatewayBreakerOpen) instead of each waiting
out its deadline against a gateway that is down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

State = Literal["closed", "open", "half-open"]


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """What /healthz shows."""

    state: State
    failing_since: datetime | None
    retry_in: float  # seconds until a trial call is allowed (0 when closed)
    closed_since: datetime | None = None  # when it last closed (or was made), while closed
    opened_at: datetime | None = None  # when it last opened, while not closed


class Breaker:
    def __init__(
        self,
        *,
        failures: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime],
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._wall_clock = wall_clock
        self._streak = 0
        self._failing_since: datetime | None = None
        self._opened_at: float | None = None
        self._opened_wall: datetime | None = None
        self._closed_since: datetime = wall_clock()
        self._trial_running = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self.cooldown or self._trial_running:
            return "open"
        return "half-open"

    def snapshot(self) -> BreakerSnapshot:
        retry_in = 0.0
        if self._opened_at is not None:
            retry_in = max(0.0, self._opened_at + self.cooldown - self._clock())
        closed = self._opened_at is None
        return BreakerSnapshot(
            self.state,
            self._failing_since,
            retry_in,
            closed_since=self._closed_since if closed else None,
            opened_at=None if closed else self._opened_wall,
        )

    def admit(self) -> bool:
        """May a call go to the gateway now? In half-open, exactly one (the trial) may."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open":
            self._trial_running = True
            return True
        return False

    def succeeded(self) -> bool:
        """The gateway answered (any definite answer counts): close the breaker. True when
        it was open (or half-open) and closes now."""
        was_open = self._opened_at is not None
        if was_open:
            self._closed_since = self._wall_clock()
        self._streak = 0
        self._failing_since = None
        self._opened_at = None
        self._trial_running = False
        return was_open

    def failed(self) -> bool:
        """The gateway was unavailable: open at the threshold, or when the trial failed.
        True when this failure (re)opened the breaker."""
        self._streak += 1
        if self._failing_since is None:
            self._failing_since = self._wall_clock()
        if self._trial_running or self._streak >= self.failures:
            if self._opened_at is None:
                self._opened_wall = self._wall_clock()
            self._opened_at = self._clock()
            self._trial_running = False
            return True
        return False

    def adopt_open(self, failing_since: datetime | None, open_for: float) -> None:
        """Another replica paused the gateway for *open_for* more seconds: pause here too."""
        if self.state == "open":
            return
        if self._opened_at is None:
            self._opened_wall = self._wall_clock()
        self._failing_since = self._failing_since or failing_since or self._wall_clock()
        self._opened_at = self._clock() - self.cooldown + open_for
        self._trial_running = False

    def adopt_closed(self, closed_at: datetime) -> None:
        """Another replica's call succeeded at *closed_at*: close here, if it opened before."""
        opened = self._opened_wall
        if self._opened_at is not None and opened is not None and opened < closed_at:
            self.succeeded()

    def abandoned(self) -> None:
        """A call that was admitted ended without a verdict (e.g. cancelled): free the trial."""
        self._trial_running = False
