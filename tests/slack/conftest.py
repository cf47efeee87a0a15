"""Fixtures for driving the Slack app: a sandbox gateway, a response_url sink, signed requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse

from bot.config import load_settings
from bot.gateway.client import Backoff, QrCodeClient, create_client, new_http_client
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.slack.app import build_app, fixed_authorize
from bot.slack.simulate import signed_request, slash_command_body
from bot.slack.sink import ResponseSink
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi, serve_fake_slack

SIGNING_SECRET = "test-signing-secret-0123456789"
SEED_TEXT = "898340149000005 31942002268195125132885377"
FAST = Backoff(initial=0.001, maximum=0.005, jitter=0.0)


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


AppFactory = Callable[..., AsyncApp]


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async for fake in serve_fake_slack():
        yield fake


TEST_AUTHORIZATION = AuthorizeResult(
    enterprise_id=None,
    team_id="T0QRINFO01",
    bot_user_id="U0BOT",
    bot_id="B0BOT",
    bot_token=BOT_TOKEN,
)


@pytest.fixture
def make_app(gateway_http: httpx.AsyncClient, slack_api: FakeSlackApi) -> AppFactory:
    def factory(gateway: QrCodeClient | None = None, **values: Any) -> AsyncApp:
        values = {"slack_signing_secret": SIGNING_SECRET, "slack_api_url": slack_api.url} | values
        settings = load_settings(**values)
        client = gateway or create_client(settings, gateway_http, backoff=FAST)
        return build_app(settings, client, authorize=fixed_authorize(TEST_AUTHORIZATION))

    return factory


async def run_command(app: AsyncApp, text: str, sink: ResponseSink) -> BoltResponse:
    """Dispatch a signed /qrinfo with *text*, its response_url pointing at *sink*."""
    body = slash_command_body(text, response_url=sink.url())
    return await app.async_dispatch(signed_request(body, SIGNING_SECRET))


def all_text(payload: dict[str, Any]) -> str:
    """Every text in a payload, for 'does it say X' checks."""
    return json.dumps(payload, ensure_ascii=False)
