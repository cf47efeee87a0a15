"""FleetStore (bot/store/redis.py): Redis never fails a lookup. A call's result, or LOST when
Redis is lost (one WARNING, one retry a second) or holds a value it cannot read; the URL
in log lines without its password."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.fleet_state import LOST
from bot.store.redis import RETRY_SECONDS, FleetStore, RedisUnreachable
from tests.redis_server import redis_server
from tests.store.helpers import Ticker, refusing_redis_url


async def answer(redis: Redis) -> str:
    return "answer"


async def refuse(redis: Redis) -> str:
    raise RedisConnectionError("Connection refused")


async def unreadable(redis: Redis) -> str:
    raise KeyError("value")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_keys_are_the_prefix_and_parts_joined_by_colons() -> None:
    store = FleetStore("redis://127.0.0.1:1/0", prefix="qa")
    assert store.key("breaker", "open") == "qa:breaker:open"
    assert store.key() == "qa"
    await store.aclose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@cache:6379/0", "redis://cache:6379/0"),
        ("rediss://bot:hunter2@cache:6380/1?password=hunter2", "rediss://cache:6380/1"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
    ids=["password", "user-and-query", "no-secret"],
)
async def test_its_repr_shows_the_url_without_the_password(url: str, shown: str) -> None:
    store = FleetStore(url)
    assert repr(store) == f"FleetStore({shown}, prefix='qrinfo')"
    assert "hunter2" not in repr(store)
    await store.aclose()


async def test_a_call_that_works_gives_its_result(redis_url: str) -> None:
    store = FleetStore(redis_url)

    async def set_and_get(redis: Redis) -> bytes | str | None:
        await redis.set(store.key("probe"), "here")
        return await redis.get(store.key("probe"))

    assert await store.run("probing", set_and_get) == "here"
    assert not store.degraded
    await store.aclose()


async def test_a_lost_redis_gives_lost_and_one_warning_naming_what_and_where(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FleetStore("redis://:hunter2@127.0.0.1:1/0", clock=Ticker())
    assert await store.run("reading the token", refuse) is LOST
    assert store.degraded
    assert store.losses == 1
    [line] = warnings(caplog)
    where = "redis://127.0.0.1:1/0"
    assert f"Redis at {where} lost (Connection refused while reading the token)" in line
    assert "hunter2" not in line
    await store.aclose()


async def test_while_lost_only_one_call_a_second_tries_redis_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Ticker()
    store = FleetStore("redis://127.0.0.1:1/0", clock=clock)
    tried: list[str] = []

    async def counted(redis: Redis) -> str:
        tried.append("tried")
        raise RedisConnectionError("Connection refused")

    assert await store.run("a", counted) is LOST
    clock.advance(RETRY_SECONDS / 2)
    assert await store.run("b", counted) is LOST
    assert tried == ["tried"]  # the second was answered LOST without asking
    clock.advance(RETRY_SECONDS / 2)
    assert await store.run("c", counted) is LOST
    assert tried == ["tried", "tried"]
    assert store.losses == 1
    assert len(warnings(caplog)) == 1  # still the one warning
    await store.aclose()


async def test_when_redis_answers_again_it_says_so_once_and_is_no_longer_degraded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Ticker()
    store = FleetStore("redis://127.0.0.1:1/0", clock=clock)
    await store.run("a", refuse)
    clock.advance(RETRY_SECONDS * 3)
    assert await store.run("b", answer) == "answer"
    assert not store.degraded
    assert warnings(caplog)[-1] == (
        "shared state: Redis at redis://127.0.0.1:1/0 is back after 3 s; shared again"
    )
    assert await store.run("c", answer) == "answer"
    assert len(warnings(caplog)) == 2
    await store.aclose()


async def test_an_unreadable_value_is_a_miss_logged_once_per_kind_and_redis_stays_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FleetStore("redis://127.0.0.1:1/0", clock=Ticker())
    for _ in range(2):
        assert await store.run("reading the token", unreadable) is LOST
    assert await store.run("reading the breaker", unreadable) is LOST
    assert not store.degraded
    assert store.losses == 0
    lines = warnings(caplog)
    assert len(lines) == 2
    assert "while reading the token (KeyError)" in lines[0]
    assert "while reading the breaker (KeyError)" in lines[1]
    await store.aclose()


async def test_a_redis_that_answers_passes_the_start_check(redis_url: str) -> None:
    store = FleetStore(redis_url)
    await store.check()
    await store.aclose()


async def test_a_redis_nobody_answers_fails_the_start_check_saying_where() -> None:
    with refusing_redis_url() as url:
        store = FleetStore(url)
        with pytest.raises(RedisUnreachable, match=r"no answer from Redis at redis://127\.0\.0\.1"):
            await store.check()
        await store.aclose()


async def test_a_transport_closed_under_redis_py_is_redis_lost_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uvloop's words for a connection closed mid-call: the replica goes on with its own
    state, as for a refused connection; any other RuntimeError is a bug, raised."""
    store = FleetStore("redis://127.0.0.1:1/0", clock=Ticker())

    async def closed(redis: Redis) -> None:
        raise RuntimeError(
            "unable to perform operation on <TCPTransport closed=True reading=False "
            "0x5573>; the handler is closed"
        )

    async def buggy(redis: Redis) -> None:
        raise RuntimeError("a bug of ours")

    assert await store.run("taking from a limit", closed) is LOST
    assert store.degraded
    assert "lost" in warnings(caplog)[0]
    store._next_try = 0.0  # its one try a second, now
    with pytest.raises(RuntimeError, match="a bug of ours"):
        await store.run("reading", buggy)
    await store.aclose()


async def test_connections_redis_closed_while_idle_are_not_redis_lost(tmp_path: Path) -> None:
    """A Redis (or a NAT) that closes idle connections: the pool opens new ones, and the
    replica never reads a healthy Redis as lost."""
    with redis_server(tmp_path, "--timeout", "1") as server:
        store = FleetStore(server.url)

        async def ping(redis: Redis) -> bool:
            return bool(await redis.ping())

        assert all(await asyncio.gather(*(store.run("warming", ping) for _ in range(10))))
        await asyncio.sleep(2.5)  # past the server's idle timeout: it closed them all
        answers = await asyncio.gather(*(store.run("after a quiet spell", ping) for _ in range(10)))
        assert answers == [True] * 10
        assert not store.degraded
        assert store.losses == 0
        await store.aclose()
