"""Acks first (bot/slack/webapi/acks_first.py): while requests arrive as a burst, work that can
wait is held; released once they stop, after the longest wait, or by its holder; oldest
first. A request that comes alone holds nothing.

The policy runs on a test clock, released by hand (``release_due``, what the timer calls);
one test lets the real timer release what it holds.
"""

from __future__ import annotations

import asyncio

from bot.slack.webapi.acks_first import AcksFirst
from tests.slack.helpers import WAIT, Clock, comes_at_once

# Long enough in real time that the loop's own timer never fires during a test that
# moves the test clock instead.
QUIET, LONGEST = 100.0, 1000.0


def held(clock: Clock) -> AcksFirst:
    return AcksFirst(burst=QUIET, quiet=QUIET, longest=LONGEST, clock=clock)


def burst(acks_first: AcksFirst, requests: int = 2) -> None:
    """Requests arriving at once (the test clock does not move between them)."""
    for _ in range(requests):
        acks_first.arrived()


async def test_with_no_request_arriving_the_turn_comes_at_once() -> None:
    """Nothing ever arrived: nothing is held."""
    acks_first = held(Clock())
    assert await comes_at_once(acks_first)
    assert len(acks_first) == 0


async def test_a_request_that_comes_alone_holds_nothing() -> None:
    """A single command: its own arrival is no burst, so its reader's language is asked
    at once."""
    clock = Clock()
    acks_first = held(clock)
    acks_first.arrived()
    assert await comes_at_once(acks_first)
    clock.now += QUIET  # the next one, a quiet time later: alone too
    acks_first.arrived()
    assert acks_first.hold() is None
    assert len(acks_first) == 0


async def test_a_burst_long_enough_ago_holds_nothing() -> None:
    """The acks caught up a quiet time ago: work goes at once."""
    clock = Clock()
    acks_first = held(clock)
    burst(acks_first)
    clock.now += QUIET
    assert await comes_at_once(acks_first)
    assert len(acks_first) == 0


async def test_during_a_burst_work_waits_until_no_request_arrived_for_the_quiet_time() -> None:
    """Each new arrival starts the quiet time again; once it has passed, the work goes."""
    clock = Clock()
    acks_first = held(clock)
    burst(acks_first)
    turn = asyncio.ensure_future(acks_first.turn())
    await asyncio.sleep(0)
    assert len(acks_first) == 1
    clock.now += QUIET / 2
    acks_first.arrived()  # another request: the quiet time starts again
    clock.now += QUIET / 2
    assert acks_first.release_due() == 0
    assert not turn.done()
    clock.now += QUIET / 2
    assert acks_first.release_due() == 1
    await turn
    assert len(acks_first) == 0


async def test_requests_that_keep_arriving_hold_work_at_most_the_longest_wait() -> None:
    """A burst that never ends: each piece of work goes at its own longest wait."""
    clock = Clock()
    start = clock.now
    acks_first = held(clock)
    burst(acks_first)
    first = asyncio.ensure_future(acks_first.turn())
    await asyncio.sleep(0)
    clock.now += LONGEST / 2
    burst(acks_first)
    second = asyncio.ensure_future(acks_first.turn())
    await asyncio.sleep(0)
    while clock.now < start + LONGEST:  # a request every half quiet time: never quiet
        clock.now += QUIET / 2
        acks_first.arrived()
        acks_first.release_due()
    await asyncio.sleep(0)
    assert first.done()  # the oldest, released at its longest wait
    assert not second.done()  # its own longest wait is not over
    assert len(acks_first) == 1
    clock.now += LONGEST / 2
    assert acks_first.release_due() == 1
    await asyncio.wait_for(second, WAIT)


async def test_held_work_is_released_oldest_first() -> None:
    """Released together, they go in the order they were held."""
    clock = Clock()
    acks_first = held(clock)
    burst(acks_first)
    order: list[int] = []

    async def wait(number: int) -> None:
        await acks_first.turn()
        order.append(number)

    tasks = [asyncio.ensure_future(wait(n)) for n in range(5)]
    await asyncio.sleep(0)
    clock.now += QUIET
    assert acks_first.release_due() == 5
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]


async def test_work_its_holder_lets_go_is_not_released_again() -> None:
    """Wanted now (a card that needs the language): its holder lets it go at once; the
    release counts only what it released itself."""
    clock = Clock()
    acks_first = held(clock)
    burst(acks_first)
    wanted, waiting = acks_first.hold(), acks_first.hold()
    assert wanted is not None
    assert waiting is not None
    wanted.set_result(None)
    clock.now += QUIET
    assert acks_first.release_due() == 1
    assert waiting.done()
    assert len(acks_first) == 0


async def test_a_cancelled_waiter_is_let_go_and_not_counted() -> None:
    """Work cancelled while held (a stop) is dropped at the next release, not released."""
    clock = Clock()
    acks_first = held(clock)
    burst(acks_first)
    gone = asyncio.ensure_future(acks_first.turn())
    kept = asyncio.ensure_future(acks_first.turn())
    await asyncio.sleep(0)
    gone.cancel()
    clock.now += QUIET
    assert acks_first.release_due() == 1
    await kept
    assert gone.cancelled()
    assert len(acks_first) == 0


async def test_a_burst_holds_new_work_across_a_short_gap_until_the_quiet_time() -> None:
    """Under a burst the loop turns slowly: work started a little after the latest request
    (within the burst window) is still held, and goes once the quiet time has passed."""
    clock = Clock()
    acks_first = AcksFirst(burst=100, quiet=10, longest=LONGEST, clock=clock)
    burst(acks_first)
    clock.now += 20  # past the quiet time, within the burst window
    later = acks_first.hold()
    assert later is not None
    assert acks_first.release_due() == 1
    assert later.done()
    clock.now += 100  # past the burst window too: nothing is held
    assert acks_first.hold() is None


async def test_the_loops_timer_releases_work_once_requests_stop() -> None:
    """On the real clock: held by a burst just now, released by the timer alone, which
    sets itself again when a request came after it was set."""
    acks_first = AcksFirst(burst=0.2, quiet=0.2, longest=60)
    burst(acks_first)
    held_now = acks_first.hold()
    assert held_now is not None  # (within 0.2 s of the burst)
    await asyncio.sleep(0.1)
    acks_first.arrived()  # the timer, set for 0.2 s after the burst, must set itself again
    await asyncio.wait_for(held_now, WAIT)
    assert len(acks_first) == 0
