"""The Coalescer (bot/service/coalescing.py): identical calls share one execution; only what
*keep* allows outlives it, for *window* seconds of an injected clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.service.coalescing import Coalescer
from tests.slack.helpers import Clock


def counting() -> tuple[list[int], Any]:
    calls: list[int] = []

    async def call() -> int:
        calls.append(len(calls) + 1)
        return calls[-1] if len(calls) != 2 else -1  # the second call "fails"

    return calls, call


async def test_a_kept_answer_is_reused_within_the_window_and_not_after() -> None:
    """A definite answer serves the next caller for *window* seconds, then a new call is made."""
    clock = Clock()
    coalescer: Coalescer[int] = Coalescer(5, keep=lambda v: v > 0, clock=clock)
    calls, call = counting()
    first = await coalescer.run("k", call)
    clock.now += 4
    again = await coalescer.run("k", call)
    assert (first.value, first.reused, again.value, again.reused) == (1, False, 1, True)
    clock.now += 2
    assert (await coalescer.run("k", call)).value == -1
    assert calls == [1, 2]


async def test_an_outcome_that_is_not_kept_is_never_reused() -> None:
    """A failure ends with its call: the very next caller makes a new one."""
    coalescer: Coalescer[int] = Coalescer(60, keep=lambda v: v > 0, clock=Clock())
    calls, call = counting()
    await coalescer.run("k", call)
    await coalescer.run("k", call, reuse=False)  # the failure
    assert (await coalescer.run("k", call)).value == 3
    assert calls == [1, 2, 3]


async def test_a_fresh_caller_joins_a_call_in_flight_but_not_a_finished_one() -> None:
    """reuse=False shares a call still running (it started after the ask), never a kept answer."""
    coalescer: Coalescer[int] = Coalescer(60, keep=lambda v: True, clock=Clock())
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def call() -> int:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return calls

    waiting = asyncio.ensure_future(coalescer.run("k", call))
    await started.wait()
    joined = asyncio.ensure_future(coalescer.run("k", call, reuse=False))
    release.set()
    assert [(await waiting).value, (await joined).value] == [1, 1]
    assert (await coalescer.run("k", call, reuse=False)).value == 2


async def test_a_failed_call_reaches_every_waiter_and_is_not_kept() -> None:
    """An exception is every joined caller's; the next caller makes a new call."""
    coalescer: Coalescer[int] = Coalescer(60, keep=lambda v: True, clock=Clock())
    release = asyncio.Event()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        raise RuntimeError("down")

    waiters = [asyncio.ensure_future(coalescer.run("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)  # let them all join the one call
    release.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError] * 3
    assert calls == 1

    async def working() -> int:
        return 7

    assert (await coalescer.run("k", working)).reused is False


async def test_a_waiter_cancelled_does_not_cancel_the_call_the_others_wait_on() -> None:
    coalescer: Coalescer[int] = Coalescer(60, keep=lambda v: True, clock=Clock())
    started, release = asyncio.Event(), asyncio.Event()

    async def call() -> int:
        started.set()
        await release.wait()
        return 5

    first = asyncio.ensure_future(coalescer.run("k", call))
    await started.wait()
    second = asyncio.ensure_future(coalescer.run("k", call))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert (await second).value == 5
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_different_keys_never_share_and_a_zero_window_keeps_nothing() -> None:
    coalescer: Coalescer[int] = Coalescer(0, keep=lambda v: True, clock=Clock())
    calls: list[Any] = []

    async def call() -> int:
        calls.append(1)
        return len(calls)

    assert (await coalescer.run("a", call)).value == 1
    assert (await coalescer.run("b", call)).value == 2
    assert (await coalescer.run("a", call)).value == 3
