"""FleetCalls (bot/service/fleet.py): identical lookups across replicas share one gateway
call, against a real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.service.fleet import FleetCalls
from bot.store.redis import FleetStore

KEY = ("898340149000005", "31942002268195125132885377")


def calls(store: FleetStore, *, deadline: float = 1.0) -> FleetCalls[dict[str, Any]]:
    return FleetCalls(
        store, window=5, deadline=deadline, keep=lambda v: True, encode=dict, decode=dict
    )


async def test_a_replica_waits_for_the_one_call_in_flight_on_another(redis_url: str) -> None:
    first, second = FleetStore(redis_url), FleetStore(redis_url)
    started, release = asyncio.Event(), asyncio.Event()
    made: list[str] = []

    async def call(name: str) -> dict[str, Any]:
        made.append(name)
        started.set()
        await release.wait()
        return {"answer": name}

    one = asyncio.ensure_future(calls(first).run(KEY, lambda: call("first"), reuse=False))
    await started.wait()
    two = asyncio.ensure_future(calls(second).run(KEY, lambda: call("second"), reuse=False))
    await asyncio.sleep(0.1)  # (ordering only: the second is waiting on the first's claim)
    release.set()
    a, b = await one, await two
    assert made == ["first"]
    assert a is not None
    assert b is not None
    assert a.value == b.value == {"answer": "first"}
    for store in (first, second):
        await store.aclose()


async def test_when_the_calling_replica_dies_the_waiter_makes_its_own_call(redis_url: str) -> None:
    """A claim left by a replica that died (it expires, no answer): the waiter calls itself."""
    store = FleetStore(redis_url)
    dead = "qrinfo:call:" + ":".join(KEY)
    await store.redis.set(dead, "a-replica-that-died", px=300)

    async def call() -> dict[str, Any]:
        return {"answer": "mine"}

    shared = await calls(store, deadline=5).run(KEY, call, reuse=False)
    assert shared is not None
    assert shared.value == {"answer": "mine"}
    await store.aclose()


async def test_an_unreadable_answer_in_redis_is_a_miss_not_a_failure(redis_url: str) -> None:
    store = FleetStore(redis_url)
    await store.redis.set("qrinfo:kept:" + ":".join(KEY), '{"not": "an answer"}')

    async def call() -> dict[str, Any]:
        return {"answer": "fresh"}

    def strict(data: dict[str, Any]) -> dict[str, Any]:
        return {"answer": data["answer"]}  # KeyError on the poisoned value

    fleet = FleetCalls(store, window=5, deadline=1, keep=lambda v: True, encode=dict, decode=strict)
    shared = await fleet.run(KEY, call, reuse=True)
    assert shared is not None
    assert shared.value == {"answer": "fresh"}
    await store.aclose()


async def test_a_waiter_on_a_fresh_call_never_gets_the_answer_before_it(redis_url: str) -> None:
    """Refresh on one replica after an answer: another replica joining that fresh call gets
    the fresh answer, never the earlier one still in Redis (the claim clears it)."""
    first, second = FleetStore(redis_url), FleetStore(redis_url)

    async def old() -> dict[str, Any]:
        return {"answer": "old"}

    await calls(first).run(KEY, old, reuse=False)  # an answer now sits in Redis
    started, release = asyncio.Event(), asyncio.Event()

    async def fresh() -> dict[str, Any]:
        started.set()
        await release.wait()
        return {"answer": "fresh"}

    one = asyncio.ensure_future(calls(first).run(KEY, fresh, reuse=False))
    await started.wait()  # the fresh call is claimed and under way
    two = asyncio.ensure_future(calls(second).run(KEY, old, reuse=False))
    await asyncio.sleep(0.1)  # (ordering only: the second is waiting on the fresh claim)
    release.set()
    a, b = await one, await two
    assert a is not None
    assert b is not None
    assert (a.value, b.value) == ({"answer": "fresh"}, {"answer": "fresh"})
    for store in (first, second):
        await store.aclose()
