"""Admission: whether a lookup may call the gateway now, and the bookkeeping around the call.

Three checks, one idea (do not pile calls on a gateway that cannot take them):
the circuit breaker (paused after repeated failures), at most max_in_flight
calls at once, and a bounded wait for a slot, refused at once when the queue
predictably cannot drain within the lookup's deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from bot.fleet_state import CircuitShare, Lost
from bot.gateway.breaker import CircuitBreaker
from bot.gateway.errors import GatewayBusy, GatewayCircuitOpen, GatewayError, GatewayUnavailable


class Admission:
    """The gate every gateway call passes. Safe to share across tasks."""

    def __init__(
        self,
        *,
        max_in_flight: int,
        timeout: float,
        breaker: CircuitBreaker,
        shared: CircuitShare | None = None,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.breaker = breaker
        self.shared = shared  # the fleet's circuit, when replicas share Redis
        self.in_flight = 0  # calls holding a slot now
        self.waiting = 0  # lookups queued for a slot now
        self._slots = asyncio.Semaphore(max_in_flight)
        self._slot_seconds = 0.0  # moving average of a slot's hold time; 0 until measured

    @asynccontextmanager
    async def call(self, msg_id: str | None) -> AsyncIterator[None]:
        """Hold a slot for one call; its outcome (the exception leaving the block) is the
        breaker's verdict. Raises GatewayCircuitOpen or GatewayBusy instead of admitting."""
        if self.shared is not None:
            await self._follow_fleet()
        trial = self.breaker.state == "half-open"
        if not self.breaker.admit() or (trial and not await self._fleet_trial()):
            snapshot = self.breaker.snapshot()
            raise GatewayCircuitOpen(
                failing_since=snapshot.failing_since, retry_in=snapshot.retry_in, msg_id=msg_id
            )
        try:
            await self._take_slot(msg_id)
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
        assert self.shared is not None  # noqa: S101  # only called with one
        fleet = await self.shared.read()
        if isinstance(fleet, Lost):
            return  # this replica's own breaker decides alone
        if fleet.open_for > 0:
            self.breaker.adopt_open(fleet.failing_since, fleet.open_for)
        elif fleet.closed_at is not None:
            self.breaker.adopt_closed(datetime.fromtimestamp(fleet.closed_at, UTC))

    async def _fleet_trial(self) -> bool:
        """This replica's trial call is the fleet's one (or Redis is lost: its own)."""
        if self.shared is None:
            return True
        claimed = await self.shared.trial(self.timeout)
        if claimed is False:
            self.breaker.abandoned()
            return False
        return True

    def _fleet_closing_due(self) -> bool:
        """The fleet's circuit was opened (by any replica) and nobody has said it closed."""
        seen = self.shared.last_seen if self.shared is not None else None
        return seen is not None and seen.closing_due

    async def _tell_fleet(self, *, opened: bool) -> None:
        if self.shared is None:
            return
        if opened:
            snapshot = self.breaker.snapshot()
            await self.shared.opened(snapshot.failing_since, self.breaker.cooldown)
        else:
            await self.shared.closed()

    async def _take_slot(self, msg_id: str | None) -> None:
        """Wait for a slot, at most half the deadline; busy at once if the queue is hopeless
        (waves of max_in_flight ahead, each as long as recent calls, then ours)."""
        bound = self.timeout / 2
        if self._slots.locked():
            waves = self.waiting // self.max_in_flight + 2  # those ahead, then ours
            if waves * self._slot_seconds > self.timeout:
                raise GatewayBusy(limit=self.max_in_flight, waited=0.0, msg_id=msg_id)
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), bound)
        except TimeoutError:
            raise GatewayBusy(limit=self.max_in_flight, waited=bound, msg_id=msg_id) from None
        finally:
            self.waiting -= 1
        self.in_flight += 1
