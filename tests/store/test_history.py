"""Each person's lookups in Redis: newest first, capped, expiring, under the prefix; LOST
without Redis."""

from __future__ import annotations

from bot.fleet_state import LOST
from bot.store.history import FleetHistory
from bot.store.redis import FleetStore
from tests.store.helpers import refusing_redis_url


async def test_a_list_is_newest_first_capped_and_expiring_under_the_prefix(redis_url: str) -> None:
    """Three pushed, two kept: the last two, newest first; the key expires."""
    store = FleetStore(redis_url, prefix="bot-a")
    history = FleetHistory(store)
    for entry in ("one", "two", "three"):
        assert await history.push("U1", entry, keep=2, seconds=60) is None
    assert await history.read("U1", keep=2) == ["three", "two"]
    assert await store.redis.llen("bot-a:history:U1") == 2  # trimmed, not only read so
    assert await history.read("U2", keep=2) == []
    assert await store.redis.keys("*") == ["bot-a:history:U1"]
    assert 0 < await store.redis.ttl("bot-a:history:U1") <= 60
    await store.aclose()


async def test_without_redis_both_say_lost() -> None:
    with refusing_redis_url() as url:
        store = FleetStore(url)
        history = FleetHistory(store)
        assert await history.push("U1", "x", keep=2, seconds=60) is LOST
        assert await history.read("U1", keep=2) is LOST
        await store.aclose()
