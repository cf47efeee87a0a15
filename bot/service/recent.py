"""The last few minutes of lookups, for `/qrinfo status`: counts by outcome, gateway times.

Prometheus keeps the long history; this answers "what is happening right now" from
the process itself, so an operator can ask in Slack without a dashboard.
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 15 * 60.0
MAX_KEPT = 100_000  # per window, whatever the traffic: a few MB at most


@dataclass(frozen=True, slots=True)
class RecentSummary:
    """What happened in the last *minutes*: lookups, how they ended, the gateway's times."""

    minutes: int
    lookups: int
    found: int
    not_found: dict[str, int]  # every other outcome (a gateway code, busy, refused, ...)
    gateway_calls: int
    gateway_p50_ms: float | None
    gateway_p95_ms: float | None

    @property
    def found_share(self) -> float | None:
        return self.found / self.lookups if self.lookups else None


class RecentLookups:
    """Lookups and gateway calls of the last *window* seconds (bounded, oldest dropped)."""

    def __init__(
        self, *, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self._clock = clock
        self._lookups: deque[tuple[float, str]] = deque(maxlen=MAX_KEPT)
        self._calls: deque[tuple[float, float]] = deque(maxlen=MAX_KEPT)

    def lookup(self, outcome: str) -> None:
        self._lookups.append((self._clock(), outcome))

    def gateway_call(self, seconds: float) -> None:
        self._calls.append((self._clock(), seconds))

    def summary(self) -> RecentSummary:
        since = self._clock() - self.window
        for kept in (self._lookups, self._calls):
            while kept and kept[0][0] < since:
                kept.popleft()
        outcomes = Counter(outcome for _, outcome in self._lookups)
        found = outcomes.pop("found", 0)
        times = sorted(seconds * 1000 for _, seconds in self._calls)
        return RecentSummary(
            minutes=round(self.window / 60),
            lookups=len(self._lookups),
            found=found,
            not_found=dict(outcomes.most_common()),
            gateway_calls=len(times),
            gateway_p50_ms=percentile(times, 0.50),
            gateway_p95_ms=percentile(times, 0.95),
        )


def percentile(ordered: list[float], share: float) -> float | None:
    """The nearest-rank percentile of an ordered list; None when it is empty."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
