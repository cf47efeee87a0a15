"""The work still running after an ack (bot/service/inflight.py): counted while tracked, and
what a graceful shutdown waits for."""

from __future__ import annotations

import asyncio

from bot.service.inflight import InFlight


async def test_nothing_tracked_drains_at_once() -> None:
    inflight = InFlight()
    assert len(inflight) == 0
    assert await inflight.drain(60)  # returns at once: nothing to wait for


async def test_tracked_work_is_counted_and_drain_waits_for_its_end() -> None:
    inflight = InFlight()
    inside, release = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        async with inflight.track():
            inside.set()
            await release.wait()

    task = asyncio.ensure_future(work())
    await inside.wait()
    assert len(inflight) == 1
    assert not await inflight.drain(0)  # still running: not drained within no time
    draining = asyncio.ensure_future(inflight.drain(60))
    release.set()
    assert await draining
    await task
    assert len(inflight) == 0


async def test_work_that_fails_is_no_longer_counted() -> None:
    inflight = InFlight()

    async def work() -> None:
        async with inflight.track():
            raise RuntimeError("boom")

    task = asyncio.ensure_future(work())
    await asyncio.gather(task, return_exceptions=True)
    assert len(inflight) == 0
    assert await inflight.drain(60)  # returns at once: nothing to wait for


async def test_nothing_tracked_is_drained_even_with_no_time_to_wait() -> None:
    assert await InFlight().drain(0)
