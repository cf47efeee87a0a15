"""Three replicas on one Redis and one gateway: limits, identical lookups, the breaker and the
token hold across them; losing Redis loses no reply. (In one process here, each replica an app
with its own store; tests/test_replica_processes.py runs three `qrinfo serve`.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from bot.kit.simulate import DEMO_USER, signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.service.services import Services
from bot.wiring import health_report
from tests.redis_server import redis_server
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SEED_TEXT, SIGNING_SECRET, WAIT, AppFactory, all_text

UNAVAILABLE_TEXT = "898340149000005 E5030000000000000000000001"


def replicas(make_app: AppFactory, url: str, **values: Any) -> list[tuple[AsyncApp, Services]]:
    return [
        # One event loop runs all three here: a generous timeout, so a busy test machine
        # does not make a replica go on alone (that has tests of its own).
        make_app.build(
            qrinfo_redis_url=url,
            qrinfo_redis_prefix="qrinfo-test",
            qrinfo_redis_timeout=2.0,
            **values,
        )
        for _ in range(3)
    ]


async def send(app: AsyncApp, sink: ResponseSink, text: str, user: str = DEMO_USER) -> None:
    body = slash_command_body(text, response_url=sink.url(), user_id=user)
    response = await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    assert response.status == 200


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most WAIT) for *condition*, looking every 10 ms."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110  # state of other objects, no event to wait on
            await asyncio.sleep(0.01)


async def until_async(condition: Callable[[], Awaitable[bool]]) -> bool:
    async with asyncio.timeout(WAIT):
        while not await condition():  # noqa: ASYNC110  # as above
            await asyncio.sleep(0.2)
    return True


async def cards(sink: ResponseSink, count: int) -> list[str]:
    return [all_text((await sink.next(WAIT)).payload) for _ in range(count)]


async def test_a_users_31st_lookup_in_a_minute_is_refused_whichever_replica_gets_it(
    make_app: AppFactory, sink: ResponseSink, redis_url: str
) -> None:
    fleet = replicas(make_app, redis_url)
    for i in range(30):
        await send(fleet[i % 3][0], sink, f"898340149000005 BNCH{i:022}")
    assert not [c for c in await cards(sink, 30) if "You have made" in c or "err-" in c]
    for app, _ in fleet:  # the 31st, on each replica: refused everywhere
        await send(app, sink, "898340149000005 BNCH9999999999999999999999")
    refused = await cards(sink, 3)
    assert all("You have made 30 lookups in the last minute" in c for c in refused)


async def test_ten_identical_lookups_over_three_replicas_make_one_gateway_call(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, redis_url: str
) -> None:
    fleet = replicas(make_app, redis_url, qrinfo_coalesce_seconds=0)
    sandbox.hold()
    for i in range(10):
        await send(fleet[i % 3][0], sink, SEED_TEXT, user=f"U0USER{i:04}")
    # Every replica is waiting on the one call (held at the gateway) before it answers.
    await until(lambda: sandbox.in_flight == 1 and all(s.inflight for _, s in fleet))
    sandbox.release()
    assert all("in 12 instalments" in c for c in await cards(sink, 10))
    assert sandbox.query_requests == 1


async def test_a_breaker_opened_by_one_replica_pauses_the_others(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, redis_url: str
) -> None:
    fleet = replicas(make_app, redis_url, qrinfo_breaker_failures=1, chinaums_timeout=0.3)
    await send(fleet[0][0], sink, UNAVAILABLE_TEXT)
    await cards(sink, 1)  # unavailable: replica 0 opens the circuit, for the fleet
    calls = sandbox.query_requests
    for app, _ in fleet[1:]:
        await send(app, sink, SEED_TEXT)
    paused = await cards(sink, 2)
    assert all("paused" in c for c in paused), paused
    assert sandbox.query_requests == calls  # the others did not call


async def test_a_burst_over_three_replicas_in_token_mode_takes_one_token(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, redis_url: str
) -> None:
    fleet = replicas(make_app, redis_url, chinaums_auth="token", qrinfo_user_rate=1000)
    for i in range(30):
        await send(fleet[i % 3][0], sink, f"898340149000005 BNCH{i:022}")
    assert not [c for c in await cards(sink, 30) if "err-" in c or "operator" in c]
    assert sandbox.token_requests == 1
    assert sum(s.gateway.tokens.fetches for _, s in fleet if s.gateway.tokens) == 1


async def test_losing_redis_in_a_burst_loses_no_reply_and_the_fleet_goes_on_alone(
    make_app: AppFactory,
    sink: ResponseSink,
    sandbox: SandboxGateway,
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with redis_server(tmp_path) as server:
        fleet = replicas(make_app, server.url, qrinfo_user_rate=1000)
        sandbox.hold()
        for i in range(30):
            await send(fleet[i % 3][0], sink, f"898340149000005 BNCH{i:022}")
        server.stop()  # in the middle of the burst
        for i in range(30, 60):
            await send(fleet[i % 3][0], sink, f"898340149000005 BNCH{i:022}")
        sandbox.release()
        delivered = await cards(sink, 60)
        assert len(delivered) == 60
        assert all("err-" not in c for c in delivered)
        assert all(s.store is not None and s.store.degraded for _, s in fleet)
        services = fleet[0][1]
        assert health_report(services, mode="http", draining=False)["shared_state"] == "degraded"
        assert b"qrinfo_redis_up 0.0" in services.metrics.exposition()[0]
        lost = [r for r in caplog.records if "lost" in r.getMessage() and "Redis" in r.getMessage()]
        assert len(lost) == 3  # one WARNING a replica, however many lookups met it
        server.start()  # back: shared again without a restart
        store = fleet[0][1].store
        assert store is not None

        async def shared_again() -> bool:  # a lookup tries Redis again (once a second)
            await send(fleet[0][0], sink, SEED_TEXT)
            await cards(sink, 1)
            return not store.degraded

        assert await until_async(shared_again)
        assert len([r for r in caplog.records if "is back after" in r.getMessage()]) == 1


async def test_a_users_language_and_groups_are_asked_of_slack_once_for_the_fleet(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi, redis_url: str
) -> None:
    """Replica 0 asks Slack; replicas 1 and 2 take what it learnt from Redis."""
    slack_api.locales[DEMO_USER] = "zh-CN"
    slack_api.usergroups["S0ALLOWED1"] = [DEMO_USER]
    fleet = replicas(make_app, redis_url, qrinfo_allowed_usergroups="S0ALLOWED1")
    await send(fleet[0][0], sink, SEED_TEXT)
    assert "分 12 期" in (await cards(sink, 1))[0]
    for app, _ in fleet[1:]:
        await send(app, sink, SEED_TEXT)
    assert all("分 12 期" in c for c in await cards(sink, 2))
    assert len(slack_api.of("users.info")) == 1
    assert len(slack_api.of("usergroups.users.list")) == 1


async def test_a_token_the_gateway_rejects_is_refreshed_once_for_the_fleet(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, redis_url: str
) -> None:
    """After a rejection every replica needs a new token: one replica asks, all use it."""
    fleet = replicas(make_app, redis_url, chinaums_auth="token", qrinfo_user_rate=1000)
    for i, (app, _) in enumerate(fleet):
        await send(app, sink, f"898340149000005 BNCH{i:022}")
    await cards(sink, 3)
    assert sandbox.token_requests == 1
    sandbox.revoke_tokens()
    for i in range(9):
        await send(fleet[i % 3][0], sink, f"898340149000005 BNCH{100 + i:022}")
    assert not [c for c in await cards(sink, 9) if "err-" in c or "operator" in c]
    assert sandbox.token_requests == 2


async def test_a_successful_trial_closes_the_circuit_on_every_replica(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, redis_url: str
) -> None:
    fleet = replicas(
        make_app, redis_url, qrinfo_breaker_failures=1, qrinfo_breaker_cooldown=0.2,
        chinaums_timeout=0.3, qrinfo_coalesce_seconds=0,
    )  # fmt: skip
    await send(fleet[0][0], sink, UNAVAILABLE_TEXT)
    await cards(sink, 1)
    await until_async(lambda: _after(0.25))  # the cool-down is over
    await send(fleet[1][0], sink, SEED_TEXT)  # replica 1's trial succeeds
    assert "in 12 instalments" in (await cards(sink, 1))[0]
    await until_async(lambda: _after(0.3))  # past the fleet view's freshness
    # Replica 0 opened the circuit itself; it learns the fleet closed it, so three lookups
    # at once all go (a replica still half-open would let one through as its own trial).
    codes = [f"898340149000005 BNCH{i:022}" for i in range(3)]
    await asyncio.gather(*(send(fleet[0][0], sink, code) for code in codes))
    said = await cards(sink, 3)
    assert not [c for c in said if "paused" in c], said
    assert all(s.gateway.breaker.state == "closed" for _, s in fleet)


async def _after(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return True


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("token", "garbage"),
        ("breaker:open", "[]"),
        ("breaker:closed", "not-a-time"),
        ("usergroup:S0ALLOWED1", "12"),
        ("language:" + DEMO_USER, "\\xff"),
    ],
)
async def test_a_value_in_redis_this_version_cannot_read_never_fails_a_lookup(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi, redis_url: str,
    key: str, value: str,
) -> None:  # fmt: skip
    slack_api.usergroups["S0ALLOWED1"] = [DEMO_USER]
    app, services = make_app.build(
        qrinfo_redis_url=redis_url, qrinfo_allowed_usergroups="S0ALLOWED1",
        chinaums_auth="token", qrinfo_redis_timeout=2.0,
    )  # fmt: skip
    assert services.store is not None
    await services.store.redis.set(services.store.key(*key.split(":")), value)
    await send(app, sink, SEED_TEXT)
    said = (await cards(sink, 1))[0]
    assert "err-" not in said
    assert "12" in said
