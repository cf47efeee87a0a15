"""RedisTokens (bot/store/tokens.py): the fleet's one access token and its refresh lock in
Redis: published for every replica, refreshed by the lock's holder only, forgotten only
while it is still the fleet's, and LOST on a value it cannot read."""

from __future__ import annotations

from bot.fleet_state import LOST, FleetToken
from bot.store.redis import FleetStore
from bot.store.tokens import LOCK_SECONDS, RedisTokens
from tests.store.helpers import Ticker

TOKEN = "0123456789abcdef0123456789abcdef"


async def test_no_token_is_held_until_one_is_published(redis_url: str) -> None:
    store = FleetStore(redis_url)
    assert await RedisTokens(store).read() is None
    await store.aclose()


async def test_a_published_token_is_read_by_every_replica_with_its_times(redis_url: str) -> None:
    store = FleetStore(redis_url)
    wall = Ticker(10_000.0)
    published = await RedisTokens(store, wall_clock=wall).publish(TOKEN, 3600, 3300)
    expected = FleetToken(TOKEN, 13_600.0, 13_300.0)
    assert published == expected
    assert await RedisTokens(store).read() == expected
    assert 3590_000 < await store.redis.pttl(store.key("token")) <= 3600_000
    await store.aclose()


async def test_only_one_replica_holds_the_refresh_lock(redis_url: str) -> None:
    store = FleetStore(redis_url)
    first, second = RedisTokens(store), RedisTokens(store)
    assert await first.lock() is True
    assert await second.lock() is False
    assert 0 < await store.redis.pttl(store.key("token", "lock")) <= LOCK_SECONDS * 1000
    await first.unlock()
    assert await second.lock() is True
    await store.aclose()


async def test_publishing_releases_the_lock_it_holds(redis_url: str) -> None:
    store = FleetStore(redis_url)
    first, second = RedisTokens(store), RedisTokens(store)
    assert await first.lock() is True
    await first.publish(TOKEN, 3600, 3300)
    assert await second.lock() is True
    await store.aclose()


async def test_a_replica_cannot_release_a_lock_another_holds(redis_url: str) -> None:
    store = FleetStore(redis_url)
    holder, other = RedisTokens(store), RedisTokens(store)
    assert await holder.lock() is True
    await other.unlock()
    await other.publish(TOKEN, 3600, 3300)
    assert await other.lock() is False
    await store.aclose()


async def test_a_rejected_token_is_forgotten_while_it_is_the_fleets(redis_url: str) -> None:
    store = FleetStore(redis_url)
    tokens = RedisTokens(store)
    await tokens.publish(TOKEN, 3600, 3300)
    await tokens.forget(TOKEN)
    assert await tokens.read() is None
    await store.aclose()


async def test_a_rejected_token_already_replaced_is_not_forgotten(redis_url: str) -> None:
    """One rejection means one refresh: a replica late to reject the old token keeps the new."""
    store = FleetStore(redis_url)
    tokens = RedisTokens(store)
    await tokens.publish("new-token", 3600, 3300)
    await tokens.forget("old-token")
    await tokens.forget("new")  # a prefix of the value is another token, not this one
    held = await tokens.read()
    assert isinstance(held, FleetToken)
    assert held.value == "new-token"
    await store.aclose()


async def test_an_unreadable_token_in_redis_is_lost_not_a_failure(redis_url: str) -> None:
    store = FleetStore(redis_url)
    await store.redis.set(store.key("token"), '{"value": "no times"}')
    assert await RedisTokens(store).read() is LOST
    await store.aclose()


async def test_tokens_of_different_scopes_are_kept_apart(redis_url: str) -> None:
    store = FleetStore(redis_url)
    await RedisTokens(store, scope=("prod",)).publish(TOKEN, 3600, 3300)
    assert await RedisTokens(store, scope=("test",)).read() is None
    assert isinstance(await RedisTokens(store, scope=("prod",)).read(), FleetToken)
    await store.aclose()


async def test_its_time_is_the_injected_wall_clock_and_its_repr_no_token(redis_url: str) -> None:
    store = FleetStore(redis_url)
    tokens = RedisTokens(store, wall_clock=Ticker(42.0))
    await tokens.publish(TOKEN, 3600, 3300)
    assert tokens.now() == 42.0
    assert TOKEN not in repr(tokens)
    assert repr(tokens).startswith("RedisTokens(FleetStore(")
    await store.aclose()
