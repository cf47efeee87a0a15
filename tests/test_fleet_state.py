"""What replicas share, as the gateway sees it (bot/fleet_state.py): LOST, and when the
fleet's breaker says the next success must announce that it closed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from bot.fleet_state import LOST, FleetBreakerState, FleetToken, Lost


def state(*, opened_at: float | None, closed_at: float | None) -> FleetBreakerState:
    return FleetBreakerState(
        open_for=0.0, failing_since=None, closed_at=closed_at, opened_at=opened_at
    )


def test_lost_is_one_value_shown_as_lost() -> None:
    assert isinstance(LOST, Lost)
    assert repr(LOST) == "LOST"


def test_a_breaker_never_opened_needs_no_close() -> None:
    assert not state(opened_at=None, closed_at=None).closing_due
    assert not state(opened_at=None, closed_at=100.0).closing_due


def test_a_breaker_opened_and_never_closed_needs_a_close() -> None:
    assert state(opened_at=100.0, closed_at=None).closing_due


def test_a_breaker_opened_after_its_last_close_needs_a_close() -> None:
    assert state(opened_at=200.0, closed_at=100.0).closing_due


def test_a_breaker_closed_after_it_opened_needs_no_close() -> None:
    assert not state(opened_at=100.0, closed_at=200.0).closing_due
    assert not state(opened_at=100.0, closed_at=100.0).closing_due


def test_the_shared_values_are_frozen() -> None:
    token = FleetToken("t", expires_at=2.0, refresh_at=1.0)
    since = datetime(2026, 11, 25, tzinfo=UTC)
    breaker = FleetBreakerState(open_for=1.0, failing_since=since, closed_at=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.value = "other"  # type: ignore[misc]  # the point: it cannot be changed
    with pytest.raises(dataclasses.FrozenInstanceError):
        breaker.open_for = 0.0  # type: ignore[misc]
    assert breaker.opened_at is None
