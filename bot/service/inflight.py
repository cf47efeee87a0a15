"""The work still running after Slack's ack: what a graceful shutdown (or a test) waits for."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any


class InFlight:
    """The listener work still running: what a graceful shutdown waits for."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    def track(self) -> Tracked:
        """``async with inflight.track():`` the running task counts as work in flight."""
        return Tracked(self)

    def add(self, task: asyncio.Task[Any]) -> None:
        """Track *task* from now until it is done (work started before it runs)."""
        self._started(task)
        task.add_done_callback(self._done)

    def _started(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        self._idle.clear()

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def drain(self, wait: float) -> bool:
        """Wait until no work is left (True), or *wait* seconds (False)."""
        if self._idle.is_set():  # nothing running: drained, even with no time to wait
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), wait)
        except TimeoutError:
            return False
        return True


class Tracked:
    """The running task, in flight for as long as the block runs. A class, not a generator:
    under a burst, a thousand lookups each hold one (a generator and its frame weighed three
    times as much, and took longer to step through)."""

    __slots__ = ("_inflight", "_task")

    def __init__(self, inflight: InFlight) -> None:
        self._inflight = inflight
        self._task: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> None:
        self._task = asyncio.current_task()
        if self._task is not None:
            self._inflight._started(self._task)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._inflight._done(self._task)
