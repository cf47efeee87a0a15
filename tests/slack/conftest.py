"""Fixtures for driving the Slack app: a sandbox gateway, a response_url sink, an app factory
(the helpers themselves are in tests/slack/helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.gateway.transport import new_http_client
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import AppFactory


@pytest.fixture
def sandbox() -> SandboxGateway:
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
