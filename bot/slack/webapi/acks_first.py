"""Acks first: under a burst, work that can wait is held until the acks have caught up.

Under a burst the process is busy on one core, and each request's ack (Slack waits 3 s
for it, then shows the user an error) takes its turn behind whatever else is running.
Some work after an ack is needed only later: a reader's language (users.info) is needed
when their card is drawn, after the gateway has answered. While requests arrive less
than :data:`BURST_SECONDS` apart (a burst), such work is held until none has arrived for
:data:`QUIET_SECONDS`, and at most :data:`LONGEST_WAIT_SECONDS`; whoever holds it may let
it go sooner (the card wants the language now). A request that comes alone holds nothing.
The front door says when a verified request arrives (:meth:`AcksFirst.arrived`); what
can wait takes :meth:`AcksFirst.hold`.

One timer at a time, whatever the number held; nothing is kept once released.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

# Requests closer than this are a burst. Under one the loop turns slowly (a turn takes
# 20-70 ms in the benchmark's), so the window is wider than the quiet time below.
BURST_SECONDS = 0.05
# No request for this long is taken to mean the acks have caught up (a request read but
# not yet acked is not seen here: a heuristic).
QUIET_SECONDS = 0.005
LONGEST_WAIT_SECONDS = 0.5  # held at most this long, whatever keeps arriving


class AcksFirst:
    """Holds work that can wait while a burst of requests arrives. Safe to share across
    tasks."""

    def __init__(
        self,
        *,
        burst: float = BURST_SECONDS,
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.quiet = quiet
        self.longest = longest
        self._clock = clock
        self._last = self._before_last = -float("inf")  # the two latest arrivals
        self._held: deque[tuple[float, asyncio.Future[None]]] = deque()  # oldest first
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        """How many are held now (or were let go by their holder since the last release)."""
        return len(self._held)

    def arrived(self) -> None:
        """A verified request arrived (called by the front door for each)."""
        self._before_last, self._last = self._last, self._clock()

    def hold(self) -> asyncio.Future[None] | None:
        """None when the acks are not behind (no burst now); else a future that comes done
        once they have caught up, or after the longest wait. Its holder may set its result
        to go at once."""
        now = self._clock()
        if now - self._last >= self.burst or self._last - self._before_last >= self.burst:
            return None  # no request lately, or the latest came alone
        held = asyncio.get_running_loop().create_future()
        self._held.append((now, held))
        if self._timer is None:
            self._arm(now)
        return held

    async def turn(self) -> None:
        """Return once work that can wait may run (at once unless a burst holds it)."""
        held = self.hold()
        if held is not None:
            await held

    def release_due(self) -> int:
        """Release everything held whose time has come (the timer calls this); how many
        (those let go or cancelled meanwhile are not counted)."""
        if self._timer is not None:
            self._timer.cancel()  # called early (a test): still one timer at a time
        self._timer = None
        now = self._clock()
        quiet = now - self._last >= self.quiet
        released = 0
        while self._held and (quiet or self._held[0][0] + self.longest <= now):
            _, held = self._held.popleft()
            if not held.done():
                held.set_result(None)
                released += 1
        if self._held:
            self._arm(now)
        return released

    def _arm(self, now: float) -> None:
        """The timer, for when the next release may come: the quiet time after the latest
        arrival, or the oldest's longest wait, whichever is sooner."""
        due = min(self._last + self.quiet, self._held[0][0] + self.longest)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(due - now, 0.0), self.release_due)
