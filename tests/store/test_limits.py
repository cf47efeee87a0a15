"""Rate limits shared in Redis: exact across replicas, all-or-none, and Redis' own clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.fleet_state import LOST
from bot.store.limits import Limit, SharedLimits
from bot.store.redis import FleetStore


async def test_a_limit_is_exact_across_replicas_sharing_one_redis(redis_url: str) -> None:
    """Three replicas (three stores) take from one user's 30 a minute: the 31st is refused
    whichever replica asks, with the seconds until the next one is allowed."""
    replicas = [FleetStore(redis_url) for _ in range(3)]
    limits = [SharedLimits(store) for store in replicas]
    user = Limit("user:T1:U1", 30)
    results = await asyncio.gather(*(limits[i % 3].take(user) for i in range(31)))
    allowed = [r for r in results if r == (0, 0.0)]
    refused = [r for r in results if r != (0, 0.0)]
    assert len(allowed) == 30
    assert len(refused) == 1
    position, wait = refused[0]  # type: ignore[misc]  # (a tuple: not LOST, as asserted)
    assert position == 1
    assert 0 < wait <= 2.0  # one more is allowed every 2 s
    for store in replicas:
        await store.aclose()


async def test_limits_are_taken_all_or_none(redis_url: str) -> None:
    """A workspace at its limit refuses; the user's own limit is not spent by the refusal."""
    store = FleetStore(redis_url)
    limits = SharedLimits(store)
    team = Limit("team:T1", 1)
    assert await limits.take(Limit("user:T1:U1", 30), team) == (0, 0.0)
    refused = await limits.take(Limit("user:T1:U2", 1), team)
    assert isinstance(refused, tuple)
    assert refused[0] == 2  # the second limit, the workspace's, refused
    # U2's one a minute was not taken by the refused lookup.
    assert await limits.take(Limit("user:T1:U2", 1)) == (0, 0.0)
    await store.aclose()


async def test_keys_live_under_the_prefix_and_expire(redis_url: str) -> None:
    store = FleetStore(redis_url, prefix="bot-a")
    await SharedLimits(store).take(Limit("user:T1:U1", 30))
    keys = await store.redis.keys("*")
    assert keys == ["bot-a:rate:user:T1:U1"]
    assert 0 < await store.redis.pttl(keys[0]) <= 3000
    await store.aclose()


async def test_without_redis_the_limits_say_lost_at_once() -> None:
    store = FleetStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert await SharedLimits(store).take(Limit("user:T1:U1", 30)) is LOST
    assert store.degraded
    await store.aclose()


async def test_a_burst_wider_than_any_pool_is_never_taken_for_a_lost_redis(
    redis_url: str,
) -> None:
    """600 checks at once on one store: each waits for a connection, none reads as LOST.
    (A generous timeout: this is about the pool, not about a busy test machine.)"""
    store = FleetStore(redis_url, call_seconds=5.0)
    limits = SharedLimits(store)
    results = await asyncio.gather(*(limits.take(Limit(f"user:T1:U{i}", 30)) for i in range(600)))
    assert LOST not in results
    assert not store.degraded
    await store.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "redis://bot:s3cret@127.0.0.1:1/0",
        "redis://127.0.0.1:1/0?password=s3cret",
        "unix:///tmp/redis.sock?password=s3cret&db=1",
    ],
)
def test_no_form_of_a_redis_url_shows_its_password(url: str) -> None:
    assert "s3cret" not in repr(FleetStore(url))
