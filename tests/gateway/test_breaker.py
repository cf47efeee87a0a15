"""Breaker (bot/gateway/breaker.py): closed, open after N failures in a row, half-open after
the cool-down with one trial call, and what it adopts from the fleet; on clocks the tests move."""

from __future__ import annotations

from datetime import timedelta

from tests.gateway.helpers import Clocks, make_breaker, state_of


def test_a_new_breaker_is_closed_and_admits_calls() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks)
    assert state_of(breaker) == "closed"
    assert breaker.admit()
    snapshot = breaker.snapshot()
    assert (snapshot.state, snapshot.retry_in, snapshot.failing_since) == ("closed", 0.0, None)
    assert snapshot.closed_since == clocks.wall
    assert snapshot.opened_at is None


def test_it_opens_at_the_threshold_of_failures_in_a_row_and_refuses_calls() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=3)
    first_failure = clocks.wall
    assert breaker.failed() is False
    clocks.advance(1)
    assert breaker.failed() is False
    assert state_of(breaker) == "closed"
    clocks.advance(1)
    assert breaker.failed() is True
    assert state_of(breaker) == "open"
    assert not breaker.admit()
    snapshot = breaker.snapshot()
    assert snapshot.failing_since == first_failure
    assert snapshot.opened_at == clocks.wall
    assert snapshot.retry_in == 30.0
    assert snapshot.closed_since is None


def test_a_success_between_failures_starts_the_count_again() -> None:
    breaker = make_breaker(Clocks(), failures=2)
    breaker.failed()
    assert breaker.succeeded() is False  # it was not open
    assert breaker.failed() is False
    assert state_of(breaker) == "closed"


def test_after_the_cooldown_exactly_one_trial_call_is_admitted() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=1, cooldown=30)
    breaker.failed()
    clocks.advance(10)
    assert breaker.snapshot().retry_in == 20.0
    clocks.advance(20)
    assert state_of(breaker) == "half-open"
    assert breaker.admit()
    assert state_of(breaker) == "open"  # while the trial runs
    assert not breaker.admit()


def test_a_trial_that_succeeds_closes_it() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=1, cooldown=30)
    breaker.failed()
    clocks.advance(30)
    breaker.admit()
    assert breaker.succeeded() is True
    assert state_of(breaker) == "closed"
    assert breaker.snapshot().closed_since == clocks.wall
    assert breaker.snapshot().failing_since is None


def test_a_trial_that_fails_opens_it_again_for_a_whole_cooldown() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=5, cooldown=30)
    for _ in range(5):
        breaker.failed()
    opened = clocks.wall
    clocks.advance(30)
    breaker.admit()
    assert breaker.failed() is True  # one failure is enough for a trial
    assert state_of(breaker) == "open"
    assert breaker.snapshot().retry_in == 30.0
    assert breaker.snapshot().opened_at == opened  # still the first opening


def test_an_abandoned_trial_lets_another_call_be_the_trial() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=1)
    breaker.failed()
    clocks.advance(30)
    assert breaker.admit()
    breaker.abandoned()
    assert state_of(breaker) == "half-open"
    assert breaker.admit()


def test_a_pause_adopted_from_the_fleet_lasts_what_the_fleet_has_left() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, cooldown=30)
    since = clocks.wall - timedelta(minutes=5)
    breaker.adopt_open(since, open_for=12)
    assert state_of(breaker) == "open"
    assert breaker.snapshot().retry_in == 12.0
    assert breaker.snapshot().failing_since == since
    clocks.advance(12)
    assert state_of(breaker) == "half-open"


def test_an_adopted_pause_does_not_shorten_one_already_running() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=1, cooldown=30)
    breaker.failed()
    breaker.adopt_open(None, open_for=1)
    assert breaker.snapshot().retry_in == 30.0


def test_a_close_adopted_from_the_fleet_counts_only_if_after_it_opened() -> None:
    clocks = Clocks()
    breaker = make_breaker(clocks, failures=1)
    breaker.failed()
    breaker.adopt_closed(clocks.wall - timedelta(seconds=1))  # an older close: stale
    assert state_of(breaker) == "open"
    breaker.adopt_closed(clocks.wall + timedelta(seconds=1))
    assert state_of(breaker) == "closed"
