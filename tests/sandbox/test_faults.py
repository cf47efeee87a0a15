"""Fault injection for the sandbox (bot/sandbox/faults.py): the per-run settings checked at
once, the fault each request gets (a code's own trigger first, then seeded rates), and the
configured latency."""

from __future__ import annotations

import asyncio
import math
import random

import pytest

from bot.sandbox.faults import FaultConfig, FaultInjector

FLAKY = "FLAK0000000000000000000001"


def test_rates_outside_zero_to_one_are_refused() -> None:
    """A share above 1 is a mistake, said at once."""
    with pytest.raises(ValueError, match="error_rate"):
        FaultConfig(error_rate=1.5)


@pytest.mark.parametrize("name", ["error_rate", "malformed_rate", "hang_rate"])
@pytest.mark.parametrize("value", [-0.1, math.nan])
def test_a_negative_or_nan_rate_is_refused_naming_it(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be between 0 and 1"):
        FaultConfig(**{name: value})  # type: ignore[arg-type]  # one float field by name


@pytest.mark.parametrize("name", ["latency_ms", "jitter_ms"])
@pytest.mark.parametrize("value", [-1.0, 3_600_001.0, math.nan, math.inf])
def test_a_latency_beyond_an_hour_or_not_a_number_is_refused(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be a number of milliseconds from 0 to"):
        FaultConfig(**{name: value})  # type: ignore[arg-type]  # one float field by name


def test_an_hour_of_latency_and_full_rates_are_allowed() -> None:
    FaultConfig(latency_ms=3_600_000, jitter_ms=0, error_rate=1, malformed_rate=1, hang_rate=1)


def test_without_faults_no_request_gets_one() -> None:
    injector = FaultInjector()
    assert [injector.pick("any") for _ in range(50)] == [None] * 50


def test_a_codes_own_trigger_comes_first_whatever_the_rates() -> None:
    injector = FaultInjector(FaultConfig(error_rate=1.0), by_code={"X1": "hang"})
    assert injector.pick("X1") == "hang"
    assert injector.pick("X2") == "5xx"


def test_a_flaky_code_fails_every_other_call_counting_per_code() -> None:
    injector = FaultInjector(by_code={FLAKY: "flaky", "FLAK2": "flaky"})
    assert [injector.pick(FLAKY) for _ in range(3)] == ["5xx", None, "5xx"]
    assert injector.pick("FLAK2") == "5xx"  # its own count, from the start


@pytest.mark.parametrize(
    ("config", "fault"),
    [
        (FaultConfig(hang_rate=1.0), "hang"),
        (FaultConfig(error_rate=1.0), "5xx"),
        (FaultConfig(malformed_rate=1.0), "malformed"),
    ],
)
def test_a_rate_of_one_gives_its_fault_to_every_request(config: FaultConfig, fault: str) -> None:
    injector = FaultInjector(config)
    assert {injector.pick(None) for _ in range(20)} == {fault}


def test_the_rates_share_one_roll_in_order_hang_5xx_malformed() -> None:
    """With the same seed, each request's roll decides: below 0.2 hang, then 5xx, then bad JSON."""
    config = FaultConfig(hang_rate=0.2, error_rate=0.3, malformed_rate=0.1, seed=3)
    rolls = random.Random(3)  # noqa: S311  # the injector's own sequence, replayed
    expected = []
    for _ in range(100):
        roll = rolls.random()
        expected.append(
            "hang" if roll < 0.2 else "5xx" if roll < 0.5 else "malformed" if roll < 0.6 else None
        )
    injector = FaultInjector(config)
    assert [injector.pick("any") for _ in range(100)] == expected


def test_the_same_seed_gives_the_same_faults() -> None:
    config = FaultConfig(error_rate=0.5, seed=11)
    first, second = FaultInjector(config), FaultInjector(config)
    assert [first.pick(None) for _ in range(50)] == [second.pick(None) for _ in range(50)]


async def test_the_delay_is_the_latency_plus_seeded_jitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    await FaultInjector(FaultConfig(latency_ms=250, jitter_ms=100, seed=5)).delay()
    jitter = random.Random(5).uniform(0, 100)  # noqa: S311  # the injector's first draw
    assert slept == [pytest.approx((250 + jitter) / 1000)]


async def test_no_latency_means_no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    await FaultInjector().delay()
    assert slept == []
