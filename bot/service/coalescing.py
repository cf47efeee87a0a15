"""Identical lookups join one gateway call; only a definite answer outlives it, briefly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Joined(Generic[T]):
    """A coalesced call's value; ``reused`` when the call had ended before this caller asked."""

    value: T
    reused: bool


class Coalescer(Generic[T]):
    """Identical calls join one execution while it is in flight.

    After it ends, its value is kept for *window* seconds only if *keep* says
    it may be: a definite answer may serve a double click, a failure must not
    outlive a recovery. A caller that wants a fresh answer (``reuse=False``)
    still joins a call in flight, which started no earlier than its own ask.
    """

    def __init__(
        self,
        window: float,
        *,
        keep: Callable[[T], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._keep = keep
        self._clock = clock
        self._inflight: dict[object, asyncio.Future[T]] = {}
        self._kept: dict[object, tuple[T, float]] = {}  # key -> (value, when it ended)

    async def run(
        self, key: object, call: Callable[[], Awaitable[T]], *, reuse: bool = True
    ) -> Joined[T]:
        now = self._clock()
        kept = self._kept.get(key)
        if kept is not None and reuse and now - kept[1] <= self.window:
            return Joined(kept[0], reused=True)
        future = self._inflight.get(key)
        if future is None:
            self._prune(now)
            future = asyncio.ensure_future(call())
            self._inflight[key] = future
            future.add_done_callback(lambda f: self._finished(key, f))
        # shield: one waiter's cancellation must not cancel the call the others wait on.
        return Joined(await asyncio.shield(future), reused=False)

    def _finished(self, key: object, future: asyncio.Future[T]) -> None:
        self._inflight.pop(key, None)
        if future.cancelled() or future.exception() is not None:
            return  # (retrieved: an exception nobody else awaits is not "never retrieved")
        value = future.result()
        if self.window > 0 and self._keep(value):
            self._kept[key] = (value, self._clock())
        else:
            self._kept.pop(key, None)  # a newer failure replaces an older answer

    def _prune(self, now: float) -> None:
        if len(self._kept) > 1000:
            self._kept = {k: v for k, v in self._kept.items() if now - v[1] <= self.window}
