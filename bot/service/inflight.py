"""The work still running after Slack's ack: what a graceful shutdown (or a test) waits for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class InFlight:
    """The listener work still running: what a graceful shutdown waits for."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            self._idle.clear()
        try:
            yield
        finally:
            if task is not None:
                self._done(task)

    def add(self, task: asyncio.Task[Any]) -> None:
        """Track *task* from now until it is done (work started before it runs)."""
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._done)

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
