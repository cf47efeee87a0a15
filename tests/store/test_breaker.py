"""RedisBreaker (bot/store/breaker.py): the gateway's breaker shared by the fleet in Redis:
open for all, one trial call for the fleet, closed for all, read at most every
FRESH_SECONDS, and LOST when Redis is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.fleet_state import LOST, Lost
from bot.store.breaker import FRESH_SECONDS, RedisBreaker
from bot.store.redis import FleetStore
from tests.store.helpers import Ticker, refusing_redis_url

SINCE = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)


async def test_the_fleet_makes_one_trial_call_after_a_pause(redis_url: str) -> None:
    circuits = [RedisBreaker(FleetStore(redis_url)) for _ in range(3)]
    await circuits[0].opened(None, cooldown=0.05)
    fleet = await circuits[1].read()
    assert not isinstance(fleet, type(None))
    await asyncio.sleep(0.1)  # the pause is over
    claims = await asyncio.gather(*(c.trial(5.0) for c in circuits))
    assert sorted(bool(c) for c in claims) == [False, False, True]
    await circuits[2].closed()
    fleet = await RedisBreaker(FleetStore(redis_url)).read()
    assert not isinstance(fleet, bool)


async def test_a_trial_that_fails_lets_no_second_replica_try_before_the_next_pause(
    redis_url: str,
) -> None:
    circuits = [RedisBreaker(FleetStore(redis_url)) for _ in range(2)]
    assert await circuits[0].trial(5.0) is True
    await circuits[0].opened(None, cooldown=0.01)  # the trial failed: open again
    await asyncio.sleep(0.05)  # that pause is over too, but the trial is still claimed
    assert await circuits[1].trial(5.0) is False


async def test_an_opened_breaker_is_read_by_another_replica_with_its_pause_and_since(
    redis_url: str,
) -> None:
    store = FleetStore(redis_url)
    wall = Ticker(5_000.0)
    await RedisBreaker(store, wall_clock=wall).opened(SINCE, cooldown=30)
    fleet = await RedisBreaker(store).read()
    assert not isinstance(fleet, Lost)
    assert 29 < fleet.open_for <= 30
    assert fleet.failing_since == SINCE
    assert fleet.opened_at == 5_000.0
    assert fleet.closed_at is None
    assert fleet.closing_due
    await store.aclose()


async def test_a_closed_breaker_clears_the_pause_and_says_when_it_closed(redis_url: str) -> None:
    store = FleetStore(redis_url)
    wall = Ticker(5_000.0)
    breaker = RedisBreaker(store, wall_clock=wall)
    await breaker.opened(None, cooldown=30)
    assert await breaker.trial(5.0) is True
    wall.advance(10)
    await breaker.closed()
    fleet = await RedisBreaker(store).read()
    assert not isinstance(fleet, Lost)
    assert fleet.open_for == 0.0
    assert fleet.closed_at == 5_010.0
    assert not fleet.closing_due
    assert await RedisBreaker(store).trial(5.0) is True  # the trial key went with the close
    await store.aclose()


async def test_a_replica_reads_redis_again_only_after_fresh_seconds(redis_url: str) -> None:
    store = FleetStore(redis_url)
    clock = Ticker()
    reader, other = RedisBreaker(store, clock=clock), RedisBreaker(store)
    first = await reader.read()
    assert not isinstance(first, Lost)
    assert first.open_for == 0
    await other.opened(None, cooldown=30)
    clock.advance(FRESH_SECONDS / 2)
    assert await reader.read() == first  # still the copy it read
    assert reader.last_seen == first
    clock.advance(FRESH_SECONDS)
    again = await reader.read()
    assert not isinstance(again, Lost)
    assert again.open_for > 0
    await store.aclose()


async def test_its_own_open_or_close_forgets_what_it_last_read(redis_url: str) -> None:
    store = FleetStore(redis_url)
    breaker = RedisBreaker(store, clock=Ticker())
    await breaker.read()
    assert breaker.last_seen is not None
    await breaker.opened(None, cooldown=30)
    assert breaker.last_seen is None
    fleet = await breaker.read()  # the clock did not move, and still it asks Redis
    assert not isinstance(fleet, Lost)
    assert fleet.open_for > 0
    await store.aclose()


async def test_breakers_of_different_scopes_do_not_share_a_pause(redis_url: str) -> None:
    store = FleetStore(redis_url)
    await RedisBreaker(store, scope=("prod",)).opened(None, cooldown=30)
    other = await RedisBreaker(store, scope=("test",)).read()
    assert not isinstance(other, Lost)
    assert other.open_for == 0.0
    await store.aclose()


async def test_without_redis_every_call_is_lost_and_nothing_is_remembered() -> None:
    with refusing_redis_url() as url:
        store = FleetStore(url)
        breaker = RedisBreaker(store, wall_clock=Ticker())
        assert await breaker.read() is LOST
        assert breaker.last_seen is None
        assert breaker.wall_now() == 1_000.0
        await store.aclose()
