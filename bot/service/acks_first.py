"""Acks first: work that can wait is held while Slack's requests keep arriving.

Under a burst the process is busy on one core, and each request's ack (Slack waits 3 s
for it, then shows the user an error) takes its turn behind whatever else is running.
Some work after an ack is needed only later: a reader's language (users.info) is needed
when their card is drawn, after the gateway has answered. That work waits here until no
request has arrived for :data:`QUIET_SECONDS`, and at most :data:`LONGEST_WAIT_SECONDS`:
a single command (no other arriving) never waits, and under a steady stream nothing waits
longer than that. The front door says when a verified request arrives
(:meth:`AcksFirst.arrived`); what can wait awaits :meth:`AcksFirst.turn`.

One timer at a time, whatever the number waiting; nothing is held once released.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

QUIET_SECONDS = 0.005  # no request for this long: the acks have caught up
LONGEST_WAIT_SECONDS = 0.5  # held at most this long, whatever keeps arriving


class AcksFirst:
    """Holds work that can wait while requests arrive. Safe to share across tasks."""

    def __init__(
        self,
        *,
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self.longest = longest
        self._clock = clock
        self._last = -float("inf")  # when the latest request arrived
        self._waiting: deque[tuple[float, asyncio.Future[None]]] = deque()  # oldest first
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        """How many are held now."""
        return len(self._waiting)

    def arrived(self) -> None:
        """A verified request arrived (called by the front door for each)."""
        self._last = self._clock()

    async def turn(self) -> None:
        """Return once the acks have caught up: at once when no request arrived within the
        quiet time, else when none has for that long, or after the longest wait."""
        now = self._clock()
        if now - self._last >= self.quiet:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append((now, waiter))
        if self._timer is None:
            self._arm(now)
        await waiter

    def release_due(self) -> int:
        """Release every waiter whose turn has come (the timer calls this); how many."""
        self._timer = None
        now = self._clock()
        quiet = now - self._last >= self.quiet
        released = 0
        while self._waiting and (quiet or self._waiting[0][0] + self.longest <= now):
            _, waiter = self._waiting.popleft()
            if not waiter.done():  # not cancelled meanwhile
                waiter.set_result(None)
                released += 1
        if self._waiting:
            self._arm(now)
        return released

    def _arm(self, now: float) -> None:
        """The timer, for when the next waiter's turn may come: the quiet time after the
        latest arrival, or the oldest waiter's longest wait, whichever is sooner."""
        due = min(self._last + self.quiet, self._waiting[0][0] + self.longest)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(due - now, 0.0), self.release_due)
