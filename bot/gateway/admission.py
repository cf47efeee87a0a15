"""Admission: whether a lookup may call the gateway now, and the bookkeeping around the call.

Three checks, one idea (do not pile calls on a gateway that cannot take them):
the breaker (paused after repeated failures), at most max_in_flight
calls at once, and a bounded wait for a slot, refused at once when the queue
predictably cannot drain within the lookup's deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from bot.fleet_state import FleetBreaker, Lost
from bot.gateway.breaker import Breaker
from bot.gateway.errors import GatewayBreakerOpen, GatewayBusy, GatewayError, GatewayUnavailable


class Admission:
    """The gate every gateway call passes. Safe to share across tasks."""

    def __init__(
        self,
        *,
        max_in_flight: int,
        timeout: float,
        breaker: Breaker,
        fleet: FleetBreaker | None = None,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.breaker = breaker
        self.fleet = fleet  # the fleet's breaker, when replicas share Redis
        self.in_flight = 0  # calls holding a slot now
        self.waiting = 0  # lookups queued for a slot now
        self._slots = asyncio.Semaphore(max_in_flight)
        self._slot_seconds = 0.0  # moving average of a slot's hold time; 0 until measured

    @asynccontextmanager
    async def call(self, msg_id: str | None, *, wait: float | None = None) -> AsyncIterator[None]:
        """Hold a slot for one call; its outcome (the exception leaving the block) is the
        breaker's verdict. Raises GatewayBreakerOpen or GatewayBusy instead of admitting.
        A slot is waited for at most half the deadline, and at most *wait* seconds."""
        if self.fleet is not None:
            await self._follow_fleet()
        trial = self.breaker.state == "half-open"
        if not self.breaker.admit() or (trial and not await self._fleet_trial()):
            snapshot = self.breaker.snapshot()
            raise GatewayBreakerOpen(
                failing_since=snapshot.failing_since, retry_in=snapshot.retry_in, msg_id=msg_id
            )
        try:
            await self._take_slot(msg_id, wait)
        except BaseException:  # busy or cancelled: a half-open trial must not stay claimed
            self.breaker.abandoned()
            raise
        started = time.monotonic()
        try:
            yield
        except GatewayUnavailable:
            if self.breaker.failed():
                await self._tell_fleet(opened=True)
            raise
        except GatewayError:
            # A definite answer, even a refusal, means it is up.
            if self.breaker.succeeded() or self._fleet_closing_due():
                await self._tell_fleet(opened=False)
            raise
        except BaseException:
            self.breaker.abandoned()
            raise
        else:
            if self.breaker.succeeded() or self._fleet_closing_due():
                await self._tell_fleet(opened=False)
        finally:
            self.in_flight -= 1
            self._slots.release()
            held = time.monotonic() - started
            self._slot_seconds += (0.1 if self._slot_seconds else 1.0) * (held - self._slot_seconds)

    async def _follow_fleet(self) -> None:
        """Pause when another replica paused the gateway; resume when one found it back."""
        assert self.fleet is not None  # noqa: S101  # only called with one
        state = await self.fleet.read()
        if isinstance(state, Lost):
            return  # this replica's own breaker decides alone
        if state.open_for > 0:
            self.breaker.adopt_open(state.failing_since, state.open_for)
        elif state.closed_at is not None:
            self.breaker.adopt_closed(datetime.fromtimestamp(state.closed_at, UTC))

    async def _fleet_trial(self) -> bool:
        """This replica's trial call is the fleet's one (or Redis is lost: its own)."""
        if self.fleet is None:
            return True
        claimed = await self.fleet.trial(self.timeout)
        if claimed is False:
            self.breaker.abandoned()
            return False
        return True

    def _fleet_closing_due(self) -> bool:
        """The fleet's breaker was opened (by any replica) and nobody has said it closed."""
        seen = self.fleet.last_seen if self.fleet is not None else None
        return seen is not None and seen.closing_due

    async def _tell_fleet(self, *, opened: bool) -> None:
        if self.fleet is None:
            return
        if opened:
            snapshot = self.breaker.snapshot()
            await self.fleet.opened(snapshot.failing_since, self.breaker.cooldown)
        else:
            await self.fleet.closed()

    async def _take_slot(self, msg_id: str | None, wait: float | None) -> None:
        """A slot: at once when one is free (no timer, no task), else after a bounded wait."""
        if not self._slots.locked():
            await self._slots.acquire()
        else:
            await self._wait_for_slot(msg_id, wait)
        self.in_flight += 1

    async def _wait_for_slot(self, msg_id: str | None, wait: float | None) -> None:
        """Wait for a slot, at most half the deadline (and *wait*); busy at once if the queue
        is hopeless (waves of max_in_flight ahead, each as long as recent calls, then ours)."""
        waves = self.waiting // self.max_in_flight + 2  # those ahead, then ours
        if waves * self._slot_seconds > self.timeout:
            raise GatewayBusy(limit=self.max_in_flight, waited=0.0, msg_id=msg_id)
        bound = self.timeout / 2 if wait is None else min(wait, self.timeout / 2)
        self.waiting += 1
        try:
            # In this task (on 3.11 asyncio.wait_for wraps the wait in a task of its own):
            # a freed slot reaches its waiter in one turn of the loop, not three.
            async with asyncio.timeout(bound):
                await self._slots.acquire()
        except TimeoutError:
            raise GatewayBusy(limit=self.max_in_flight, waited=bound, msg_id=msg_id) from None
        finally:
            self.waiting -= 1
