"""`qrinfo serve` wiring: auth.test at start, /slack/events over real HTTP, /healthz."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.cli import main
from bot.config import ConfigError, load_settings
from bot.gateway.client import create_client
from bot.slack.app import build_app, fixed_authorize
from bot.slack.server import FrontDoor, authorize_at_start, create_http_app
from bot.slack.simulate import signed_headers, slash_command_body
from bot.slack.sink import ResponseSink
from tests.slack.conftest import SEED_TEXT, SIGNING_SECRET
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi


def slack_settings(api_url: str, **values: Any) -> Any:
    return load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        **values,
    )


async def test_auth_test_at_start_gives_the_bot_identity(
    slack_api: FakeSlackApi,
) -> None:
    """The bot token is checked once at start; its identity serves every request."""
    fake, url = slack_api, slack_api.url
    result = await authorize_at_start(slack_settings(url))
    assert (result.team_id, result.bot_user_id, result.bot_id) == ("T0QRINFO01", "U0BOT", "B0BOT")
    assert len(fake.of("auth.test")) == 1


async def test_a_refused_bot_token_fails_at_start_naming_the_variable(
    slack_api: FakeSlackApi,
) -> None:
    """invalid_auth from Slack becomes one line naming SLACK_BOT_TOKEN."""
    fake, url = slack_api, slack_api.url
    fake.token_ok = False
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN: Slack refused it \\(invalid_auth\\)"):
        await authorize_at_start(slack_settings(url))


async def test_http_mode_serves_commands_and_health_over_a_socket(
    slack_api: FakeSlackApi, gateway_http: Any
) -> None:
    """A signed POST to /slack/events gets its card; /healthz answers; auth.test ran once."""
    fake, url = slack_api, slack_api.url
    settings = slack_settings(url)
    bolt_app = build_app(
        settings,
        create_client(settings, gateway_http),
        authorize=fixed_authorize(await authorize_at_start(settings)),
    )

    async def health() -> dict[str, Any]:
        return {"ok": True}

    server = TestServer(
        create_http_app(FrontDoor(bolt_app, signing_secret=SIGNING_SECRET), health),
        host="127.0.0.1",
        port=0,
    )
    await server.start_server()
    try:
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:
            body = slash_command_body(SEED_TEXT, response_url=sink.url())
            async with session.post(
                server.make_url("/slack/events"),
                data=body,
                headers=signed_headers(body, SIGNING_SECRET),
            ) as response:
                assert response.status == 200
            delivery = await sink.next(5)
            assert delivery.payload["text"].startswith("测试商户")
            async with session.get(server.make_url("/healthz")) as response:
                assert await response.json() == {"ok": True}
            async with session.post(server.make_url("/slack/events"), data=body) as response:
                assert response.status == 401
    finally:
        await server.close()
    assert len(fake.of("auth.test")) == 1


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({}, ["serve"], "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, ["serve"], "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, ["serve", "--socket"], "SLACK_APP_TOKEN"),
    ],
    ids=["no-bot-token", "http-without-secret", "socket-without-app-token"],
)
def test_serve_without_its_settings_fails_at_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    named: str,
) -> None:
    """Missing Slack settings stop `qrinfo serve` with exit 4 and the variable's name."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(args) == 4
    assert named in capsys.readouterr().err
