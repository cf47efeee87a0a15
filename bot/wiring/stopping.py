"""How `qrinfo serve` stops: which signals drain the lookups in flight, and which stop at once.

The rule, written for the supervisors that send them:

- **SIGTERM** (systemd, Kubernetes, ``docker``/``podman stop``, ``kill``) starts the
  drain, and no later SIGTERM cuts it short. A supervisor's own hard stop is SIGKILL,
  sent when its grace runs out; a second SIGTERM is far more often the same request
  arriving by a second route: ``uv run`` forwards the SIGTERM that a process-group
  signal (systemd's ``KillMode=control-group``, ``tini -g``, ``kill -- -PGID``) has
  already delivered to the bot, so the bot sees two within milliseconds.
- **SIGINT** (Ctrl-C) starts the drain too when it begins the stop; a SIGINT *during* a
  stop (a second Ctrl-C, or one after a SIGTERM) stops at once, for a person at a
  terminal who will not wait. A SIGINT within :data:`ECHO_SECONDS` of the signal that
  began the stop is its echo (``uv run`` forwards SIGINT as well when stdin is not a
  terminal), not a press.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# A signal this soon after the one that began the stop is that one's echo. uv forwards
# within milliseconds; a second Ctrl-C by a person comes later than this.
ECHO_SECONDS = 1.0

Did = Literal["drain", "now", "ignored"]
_NAMES: dict[int, str] = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT (Ctrl-C)"}


class StopRule:
    """What each signal means, given the ones before it: pure, with a clock passed in."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._began: float | None = None  # when the stop began (the clock's time), if it has
        self._at_once = False

    def receive(self, signum: int) -> Did:
        """Take *signum*; returns what it did."""
        now = self._clock()
        if self._began is None:
            self._began = now
            return "drain"
        if signum == signal.SIGINT and now - self._began >= ECHO_SECONDS and not self._at_once:
            self._at_once = True
            return "now"
        return "ignored"


class Stop:
    """The serving process's stop: a drain requested, and perhaps a stop at once."""

    def __init__(self) -> None:
        self.requested, self.now = asyncio.Event(), asyncio.Event()
        self.serving = False  # set once the bot listens: a stop before that is told by serve
        loop = asyncio.get_running_loop()
        self.rule = StopRule(loop.time)
        for signum in _NAMES:
            loop.add_signal_handler(signum, self._signal, signum)

    def _signal(self, signum: int) -> None:
        did = self.rule.receive(signum)
        if did == "drain":
            self.requested.set()
            if self.serving:
                log.warning(
                    "stopping on %s: no new work; the lookups in flight are answered first",
                    _NAMES[signum],
                )
        elif did == "now":
            self.now.set()
        else:
            # uv run's echo of a group signal, or a supervisor asking again: the drain goes on.
            log.info("%s while stopping: the lookups in flight still finish", _NAMES[signum])

    async def unless_requested(self, work: Coroutine[Any, Any, T]) -> T | None:
        """*work*'s result, or None (and *work* cancelled) if a stop is requested first."""
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self.requested.wait())
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not task.done():
            task.cancel()
            return None
        return task.result()

    async def drain(self, work: Coroutine[Any, Any, bool], in_flight: Callable[[], int]) -> None:
        """Let *work* (waiting for the lookups in flight; True when none are left) end, unless
        the stop becomes one at once first."""
        draining = asyncio.ensure_future(work)
        forced = asyncio.ensure_future(self.now.wait())
        await asyncio.wait([draining, forced], return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        if not (draining.done() and draining.result()):
            draining.cancel()
            log.warning("%d lookups still running at exit", in_flight())
