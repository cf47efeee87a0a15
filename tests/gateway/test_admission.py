"""Admission (bot/gateway/admission.py): the gate every gateway call passes: the breaker's
verdict from each call's outcome, at most max_in_flight calls, a bounded or hopeless wait
for a slot, and what it reads from and tells the fleet's breaker."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace

import pytest

import bot.gateway.admission as admission_module
from bot.fleet_state import LOST, FleetBreakerState, Lost
from bot.gateway.admission import Admission
from bot.gateway.errors import (
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
)
from tests.gateway.helpers import Clocks, make_breaker, state_of
from tests.slack.helpers import WAIT

CLOSED = FleetBreakerState(open_for=0.0, failing_since=None, closed_at=None)


class FakeFleet:
    """The fleet's breaker as the admission sees it; records what it was told."""

    def __init__(self, state: FleetBreakerState | Lost = CLOSED, trial: bool | Lost = True):
        self.state = state
        self.claim = trial
        self.told: list[str] = []

    async def read(self) -> FleetBreakerState | Lost:
        return self.state

    async def opened(self, failing_since: datetime | None, cooldown: float) -> None:
        self.told.append(f"opened for {cooldown:g}")

    async def trial(self, seconds: float) -> bool | Lost:
        self.told.append("trial")
        return self.claim

    async def closed(self) -> None:
        self.told.append("closed")

    @property
    def last_seen(self) -> FleetBreakerState | None:
        return self.state if isinstance(self.state, FleetBreakerState) else None

    def wall_now(self) -> float:
        return 0.0


def unavailable() -> GatewayUnavailable:
    return GatewayUnavailable(reason="down", attempts=1, elapsed=0.1, msg_id="m")


def admission(
    clocks: Clocks, *, failures: int = 1, max_in_flight: int = 2, fleet: FakeFleet | None = None
) -> Admission:
    return Admission(
        max_in_flight=max_in_flight,
        timeout=2.0,
        breaker=make_breaker(clocks, failures=failures),
        fleet=fleet,
    )


async def fail_once(gate: Admission) -> None:
    with pytest.raises(GatewayUnavailable):
        async with gate.call("m"):
            raise unavailable()


async def test_a_call_holds_a_slot_only_while_it_runs() -> None:
    gate = admission(Clocks())
    async with gate.call("m"):
        assert gate.in_flight == 1
    assert gate.in_flight == 0
    assert gate.waiting == 0


async def test_an_unavailable_gateway_opens_the_breaker_and_the_next_call_is_refused() -> None:
    gate = admission(Clocks(), failures=1)
    await fail_once(gate)
    with pytest.raises(GatewayBreakerOpen) as caught:
        async with gate.call("m-2"):
            raise AssertionError("not admitted")
    assert caught.value.msg_id == "m-2"
    assert caught.value.retry_in == 30.0
    assert gate.in_flight == 0


async def test_a_definite_refusal_counts_as_the_gateway_being_up() -> None:
    clocks = Clocks()
    gate = admission(clocks, failures=1)
    await fail_once(gate)
    clocks.advance(30)
    with pytest.raises(GatewayRejected):
        async with gate.call("m"):
            raise GatewayRejected(code="NO_BILL", message=None, msg_id="m")
    assert state_of(gate.breaker) == "closed"


async def test_a_cancelled_trial_frees_the_trial_for_the_next_call() -> None:
    clocks = Clocks()
    gate = admission(clocks, failures=1)
    await fail_once(gate)
    clocks.advance(30)
    with pytest.raises(asyncio.CancelledError):
        async with gate.call("m"):
            raise asyncio.CancelledError
    assert state_of(gate.breaker) == "half-open"
    async with gate.call("m"):
        pass
    assert state_of(gate.breaker) == "closed"


async def test_with_every_slot_taken_a_call_is_busy_after_half_the_deadline() -> None:
    gate = Admission(
        max_in_flight=1, timeout=0.02, breaker=make_breaker(Clocks()), fleet=None
    )  # (a 10 ms wait: the bound, not a threshold)
    async with gate.call("first"):
        with pytest.raises(GatewayBusy) as caught:
            async with gate.call("second"):
                raise AssertionError("not admitted")
    assert caught.value.limit == 1
    assert caught.value.elapsed == 0.01
    assert caught.value.attempts == 0
    assert gate.waiting == 0
    assert state_of(gate.breaker) == "closed"  # our own cap says nothing about the gateway


async def test_a_queue_that_cannot_drain_in_time_is_busy_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recent calls held their slot 1.5 s: two waves (ahead, ours) cannot fit a 2 s deadline."""
    now = [0.0]
    monkeypatch.setattr(admission_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    gate = admission(Clocks(), max_in_flight=1)
    async with gate.call("slow"):
        now[0] += 1.5
    async with gate.call("holding"):
        with pytest.raises(GatewayBusy, match="too many waiting") as caught:
            async with gate.call("hopeless"):
                raise AssertionError("not admitted")
    assert caught.value.elapsed == 0.0


async def test_a_call_waits_for_a_slot_that_comes_free() -> None:
    gate = admission(Clocks(), max_in_flight=1)
    entered, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with gate.call("first"):
            entered.set()
            await release.wait()
            order.append("first")

    async def second() -> None:
        async with gate.call("second"):
            order.append("second")

    async with asyncio.timeout(5):  # only stops a broken gate from hanging the suite
        one = asyncio.ensure_future(first())
        await entered.wait()
        two = asyncio.ensure_future(second())
        while gate.waiting == 0:  # noqa: ASYNC110  # the gate has no event for "queued"
            await asyncio.sleep(0)
        assert order == []
        release.set()
        await asyncio.gather(one, two)
    assert order == ["first", "second"]
    assert gate.in_flight == 0


async def test_a_freed_slot_reaches_its_waiter_in_one_turn_of_the_loop() -> None:
    """Under a burst each turn of the loop is long: the next gateway call must not wait
    several of them (the wait is in the waiting task itself, not a task of its own)."""
    gate = admission(Clocks(), max_in_flight=1)
    holding, done = gate.call("first"), asyncio.Event()
    await holding.__aenter__()

    async def second() -> None:
        async with gate.call("second"):
            await done.wait()

    waiting = asyncio.ensure_future(second())
    try:
        while gate.waiting == 0:  # noqa: ASYNC110  # the gate has no event for "queued"
            await asyncio.sleep(0)
        await holding.__aexit__(None, None, None)  # the slot is free
        assert gate.in_flight == 0
        await asyncio.sleep(0)  # one turn
        assert gate.in_flight == 1  # the waiter holds it already
    finally:
        done.set()
        await asyncio.wait_for(waiting, WAIT)
    assert gate.in_flight == 0


async def test_a_pause_another_replica_opened_refuses_calls_here() -> None:
    fleet = FakeFleet(FleetBreakerState(open_for=20.0, failing_since=None, closed_at=None))
    gate = admission(Clocks(), fleet=fleet)
    with pytest.raises(GatewayBreakerOpen) as caught:
        async with gate.call("m"):
            raise AssertionError("not admitted")
    assert caught.value.retry_in == 20.0


async def test_without_redis_the_replicas_own_breaker_decides() -> None:
    gate = admission(Clocks(), fleet=FakeFleet(LOST, trial=LOST))
    async with gate.call("m"):
        pass
    assert state_of(gate.breaker) == "closed"


async def test_opening_the_breaker_tells_the_fleet_with_its_cooldown() -> None:
    fleet = FakeFleet()
    gate = admission(Clocks(), fleet=fleet)
    await fail_once(gate)
    assert fleet.told == ["opened for 30"]


async def test_a_trial_another_replica_holds_refuses_the_call_here() -> None:
    clocks = Clocks()
    fleet = FakeFleet(trial=False)
    gate = admission(clocks, fleet=fleet)
    await fail_once(gate)
    clocks.advance(30)
    with pytest.raises(GatewayBreakerOpen):
        async with gate.call("m"):
            raise AssertionError("not admitted")
    assert fleet.told == ["opened for 30", "trial"]
    assert state_of(gate.breaker) == "half-open"  # the trial claim was given back


async def test_the_fleets_trial_that_succeeds_tells_the_fleet_it_closed() -> None:
    clocks = Clocks()
    fleet = FakeFleet(trial=True)
    gate = admission(clocks, fleet=fleet)
    await fail_once(gate)
    clocks.advance(30)
    async with gate.call("m"):
        pass
    assert fleet.told == ["opened for 30", "trial", "closed"]


async def test_a_success_here_closes_a_fleet_pause_nobody_has_closed_yet() -> None:
    """Another replica opened the fleet's breaker; this one's own never opened."""
    fleet = FakeFleet(
        FleetBreakerState(open_for=0.0, failing_since=None, closed_at=None, opened_at=50.0)
    )
    gate = admission(Clocks(), fleet=fleet)
    async with gate.call("m"):
        pass
    assert fleet.told == ["closed"]


async def test_a_close_another_replica_announced_closes_the_breaker_here() -> None:
    clocks = Clocks()
    fleet = FakeFleet()
    gate = admission(clocks, fleet=fleet)
    await fail_once(gate)
    fleet.state = FleetBreakerState(
        open_for=0.0, failing_since=None, closed_at=clocks.wall.timestamp() + 1
    )
    async with gate.call("m"):
        pass
    assert state_of(gate.breaker) == "closed"
    assert "trial" not in fleet.told


async def test_a_free_slot_is_taken_without_a_timed_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a slot free nothing waits, so nothing is timed (no task, no timer per call)."""

    async def no_timed_wait(*args: object, **kwargs: object) -> None:
        raise AssertionError("a timed wait for a free slot")

    monkeypatch.setattr("asyncio.wait_for", no_timed_wait)
    gate = admission(Clocks())
    async with gate.call("m"):
        assert (gate.in_flight, gate.waiting) == (1, 0)
    assert gate.in_flight == 0
