"""Three `qrinfo serve` processes, one sandbox gateway, one Redis: what one replica knows,
every replica knows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.kit.simulate import signed_headers, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from tests.processes import SECRET, Serve, sandbox_on_loopback, serve_env
from tests.redis_server import RedisServer, redis_server
from tests.slack.fakes import FakeSlackApi

pytestmark = pytest.mark.processes  # every test here starts the bot or a container

SEED = "898340149000005 31942002268195125132885377"
UNAVAILABLE = "898340149000005 E5030000000000000000000001"


class Fleet:
    """Three replicas and what they share, with a way to send commands round-robin."""

    def __init__(self, bases: list[str], session: aiohttp.ClientSession, sink: ResponseSink):
        self.bases, self.session, self.sink = bases, session, sink
        self.sent = 0

    async def send(
        self, text: str, *, replica: int | None = None, user: str = "U0USER0001"
    ) -> None:
        index = self.sent % 3 if replica is None else replica
        body = slash_command_body(text, response_url=self.sink.url(f"/r/{self.sent}"), user_id=user)
        self.sent += 1
        url = self.bases[index] + "/slack/events"
        async with self.session.post(url, data=body, headers=signed_headers(body, SECRET)) as r:
            assert r.status == 200

    async def cards(self, count: int) -> list[str]:
        return [str((await self.sink.next(30)).payload) for _ in range(count)]


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[SandboxGateway, str]]:
    gateway = SandboxGateway(faults=FaultConfig(latency_ms=300))
    async with sandbox_on_loopback(gateway) as url:
        yield gateway, url


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path) as server:
        yield server


@pytest.fixture
async def fleet(
    sandbox: tuple[SandboxGateway, str],
    redis: RedisServer,
    slack_api: FakeSlackApi,
    tmp_path: Path,
) -> AsyncIterator[Fleet]:
    env = serve_env(
        slack_api,
        tmp_path,
        CHINAUMS_ENV="sandbox",
        CHINAUMS_BASE_URL=sandbox[1],
        CHINAUMS_AUTH="token",
        CHINAUMS_TIMEOUT="2",
        SLACK_SIGNING_SECRET=SECRET,
        QRINFO_REDIS_URL=redis.url,
        QRINFO_REDIS_TIMEOUT="1",  # a busy test machine must not make a replica go alone
        QRINFO_BREAKER_FAILURES="1",
        QRINFO_COALESCE_SECONDS="0",
    )
    replicas = [await Serve.start(env, "--http") for _ in range(3)]
    try:
        bases = [await replica.base_url() for replica in replicas]
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:
            yield Fleet(bases, session, sink)
    finally:
        for replica in replicas:
            await replica.close()


async def test_a_users_31st_lookup_is_refused_whichever_replica_gets_it(fleet: Fleet) -> None:
    await asyncio.gather(*(fleet.send(f"898340149000005 BNCH{i:022}") for i in range(30)))
    assert not [c for c in await fleet.cards(30) if "You have made" in c]
    for replica in range(3):
        await fleet.send("898340149000005 BNCH9999999999999999999999", replica=replica)
    assert all("You have made 30 lookups" in c for c in await fleet.cards(3))


async def test_a_burst_in_token_mode_takes_one_token_for_the_fleet(
    fleet: Fleet, sandbox: tuple[SandboxGateway, str]
) -> None:
    gateway, _ = sandbox
    users = [f"U0USER{i:04}" for i in range(30)]
    await asyncio.gather(
        *(fleet.send(f"898340149000005 BNCH{i:022}", user=u) for i, u in enumerate(users))
    )
    assert not [c for c in await fleet.cards(30) if "err-" in c]
    assert gateway.token_requests == 1


async def test_ten_identical_lookups_over_the_replicas_make_one_gateway_call(
    fleet: Fleet, sandbox: tuple[SandboxGateway, str]
) -> None:
    gateway, _ = sandbox
    await asyncio.gather(*(fleet.send(SEED, user=f"U0USER{i:04}") for i in range(10)))
    assert all("instalments" in c for c in await fleet.cards(10))
    assert gateway.query_requests == 1


async def test_the_breaker_opened_by_one_replica_pauses_the_others(
    fleet: Fleet, sandbox: tuple[SandboxGateway, str]
) -> None:
    gateway, _ = sandbox
    await fleet.send(UNAVAILABLE, replica=0)
    await fleet.cards(1)
    calls = gateway.query_requests
    await fleet.send(SEED, replica=1)
    await fleet.send(SEED, replica=2)
    assert all("paused" in c for c in await fleet.cards(2))
    assert gateway.query_requests == calls


async def test_killing_redis_in_the_middle_of_a_burst_loses_no_reply(
    fleet: Fleet, redis: RedisServer
) -> None:
    first = [fleet.send(f"898340149000005 BNCH{i:022}", user=f"U0USER{i:04}") for i in range(30)]
    await asyncio.gather(*first)
    redis.stop()
    rest = [fleet.send(f"898340149000005 BNCH{i:022}", user=f"U0USER{i:04}") for i in range(30, 60)]
    await asyncio.gather(*rest)
    delivered = await fleet.cards(60)
    assert len(delivered) == 60
    assert not [c for c in delivered if "err-" in c]
