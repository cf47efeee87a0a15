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

from bot.gateway.breaker import CircuitBreaker
from bot.gateway.errors import GatewayBusy, GatewayCircuitOpen, GatewayError, GatewayUnavailable


class Admission:
    """The gate every gateway call passes. Safe to share across tasks."""

    def __init__(self, *, max_in_flight: int, timeout: float, breaker: CircuitBreaker) -> None:
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.breaker = breaker
        self.in_flight = 0  # calls holding a slot now
        self.waiting = 0  # lookups queued for a slot now
        self._slots = asyncio.Semaphore(max_in_flight)
        self._slot_seconds = 0.0  # moving average of a slot's hold time; 0 until measured

    @asynccontextmanager
    async def call(self, msg_id: str | None) -> AsyncIterator[None]:
        """Hold a slot for one call; its outcome (the exception leaving the block) is the
        breaker's verdict. Raises GatewayCircuitOpen or GatewayBusy instead of admitting."""
        if not self.breaker.admit():
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
            self.breaker.failed()
            raise
        except GatewayError:
            self.breaker.succeeded()  # a definite answer, even a refusal, means it is up
            raise
        except BaseException:
            self.breaker.abandoned()
            raise
        else:
            self.breaker.succeeded()
        finally:
            self.in_flight -= 1
            self._slots.release()
            held = time.monotonic() - started
            self._slot_seconds += (0.1 if self._slot_seconds else 1.0) * (held - self._slot_seconds)

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
