"""Shared fixtures: a clean environment for every test, a fast, offline gateway client, a
Redis, a fake Slack, the Slack app over the sandbox (the helpers they use are in
tests/helpers.py and tests/slack/helpers.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
import stamina
from redis.asyncio import Redis

from bot.gateway.client import QrCodeClient
from bot.gateway.transport import new_http_client
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.wiring import build_gateway
from tests.helpers import FIXED_NOW, GATEWAY, ClientFactory, make_settings
from tests.redis_server import RedisServer, redis_server
from tests.slack.fakes import FakeSlackApi, serve_fake_slack
from tests.slack.helpers import AppFactory


@pytest.fixture(autouse=True)
def _retries_without_waiting() -> Iterator[None]:
    """stamina's test mode: no backoff sleeps, and at most three attempts a lookup."""
    with stamina.set_testing(True, attempts=3):
        yield


def _starts_the_bot(args: object) -> bool:
    """Whether a process about to start is the bot (`python -m bot`, `qrinfo`, `uv run`) or a
    container (`podman`): what makes a test slow enough to be marked."""
    words = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)  # type: ignore[call-overload]  # Popen's args: one or many
    names = [os.path.basename(os.fsdecode(word)) for word in words]
    return bool(names) and (
        names[0] in {"qrinfo", "uv", "podman"} or ("-m" in names and "bot" in names)
    )


@pytest.fixture(autouse=True)
def _processes_are_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that starts the bot or a container must say so (@pytest.mark.processes), so
    that `pytest -m "not processes"` is the quick run it promises."""
    if request.node.get_closest_marker("processes"):
        return
    real = subprocess.Popen
    test = request.node.nodeid

    class Unmarked(real):  # type: ignore[misc,valid-type]  # the module's own Popen, checked
        def __init__(self, args: Any, *more: Any, **options: Any) -> None:
            if _starts_the_bot(args):
                raise AssertionError(f"{test} starts a process: mark it @pytest.mark.processes")
            super().__init__(args, *more, **options)

    monkeypatch.setattr(subprocess, "Popen", Unmarked)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own CHINAUMS_* or SLACK_* variables. The sandbox is named,
    as `serve` wants it for a gateway (a test of the default deletes CHINAUMS_ENV)."""
    for name in list(os.environ):
        if name.startswith(("CHINAUMS_", "SLACK_", "QRINFO_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CHINAUMS_ENV", "sandbox")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The production HTTP client (aiohttp transport); respx intercepts it."""
    client = new_http_client()
    yield client
    await client.aclose()


@pytest.fixture
def gateway() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GATEWAY, using="httpx", assert_all_called=False) as router:
        yield router


@pytest.fixture
def make_client(http: httpx.AsyncClient) -> ClientFactory:
    def factory(**settings: object) -> QrCodeClient:
        return build_gateway(
            make_settings(**settings),
            http,
            wall_clock=lambda: FIXED_NOW,
        )

    return factory


@pytest.fixture(scope="session")
def redis_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the whole run (tests that lose it start their own)."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
async def redis_url(redis_session: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    client = Redis.from_url(redis_session.url)
    await client.flushall()
    await client.aclose()
    return redis_session.url


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    """A stand-in for Slack's Web API on loopback (auth.test, users.info, Socket Mode, ...)."""
    async for fake in serve_fake_slack():
        yield fake


@pytest.fixture
def sandbox() -> SandboxGateway:
    """The sandbox gateway the Slack app's lookups reach (in-process, no network)."""
    return SandboxGateway()


@pytest.fixture
async def gateway_http(sandbox: SandboxGateway) -> AsyncIterator[httpx.AsyncClient]:
    client = new_http_client(transport=SandboxTransport(sandbox))
    yield client
    await client.aclose()


@pytest.fixture
async def sink() -> AsyncIterator[ResponseSink]:
    async with ResponseSink() as server:
        yield server


@pytest.fixture
async def make_app(
    gateway_http: httpx.AsyncClient, slack_api: FakeSlackApi
) -> AsyncIterator[AppFactory]:
    factory = AppFactory(gateway_http, slack_api)
    yield factory
    await factory.close()
