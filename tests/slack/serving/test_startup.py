"""`qrinfo serve` starting: auth.test at start, /slack/events over real HTTP, /healthz."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.cli import main
from bot.config import load_settings
from bot.kit.simulate import signed_headers, slash_command_body
from bot.kit.sink import ResponseSink
from bot.slack.serving.startup import StartupError, TokenRefused, authorize_at_start
from bot.wiring import build_gateway, build_services, build_slack_app
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi
from tests.slack.helpers import SEED_TEXT, SIGNING_SECRET, served


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
    result = await authorize_at_start(BOT_TOKEN, api_url=url)
    assert (result.team_id, result.bot_user_id, result.bot_id) == ("T0QRINFO01", "U0BOT", "B0BOT")
    assert len(fake.of("auth.test")) == 1


async def test_a_refused_bot_token_fails_at_start_naming_the_variable(
    slack_api: FakeSlackApi,
) -> None:
    """invalid_auth from Slack becomes one line naming SLACK_BOT_TOKEN."""
    fake, url = slack_api, slack_api.url
    fake.token_ok = False
    with pytest.raises(TokenRefused, match="SLACK_BOT_TOKEN: Slack refused it \\(invalid_auth\\)"):
        await authorize_at_start(BOT_TOKEN, api_url=url)


async def test_http_mode_serves_commands_and_health_over_a_socket(
    slack_api: FakeSlackApi, gateway_http: Any
) -> None:
    """A signed POST to /slack/events gets its card; /healthz answers; auth.test ran once."""
    fake, url = slack_api, slack_api.url
    settings = slack_settings(url)
    services = build_services(settings, build_gateway(settings, gateway_http))
    authorization = await authorize_at_start(BOT_TOKEN, api_url=url)
    bolt_app = build_slack_app(settings, services, authorization=authorization).bolt

    async with (
        served(bolt_app) as (base, _),
        ResponseSink() as sink,
        aiohttp.ClientSession() as session,
    ):
        body = slash_command_body(SEED_TEXT, response_url=sink.url())
        async with session.post(
            base + "/slack/events", data=body, headers=signed_headers(body, SIGNING_SECRET)
        ) as response:
            assert response.status == 200
        delivery = await sink.next(5)
        assert delivery.payload["text"].startswith("测试商户")
        async with session.get(base + "/healthz") as response:
            assert await response.json() == {"ok": True}
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


# --- Slack unreachable or refusing at start ------------------------------------------------


@asynccontextmanager
async def fake_slack_answering(handler: Any) -> AsyncIterator[str]:
    """A loopback 'Slack' whose every method is *handler*; yields its API base URL."""
    app = web.Application()
    app.router.add_post("/api/{method}", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("/api/"))
    finally:
        await server.close()


async def _html_500(request: web.Request) -> web.Response:
    return web.Response(status=500, text="<html>oops</html>", content_type="text/html")


async def _empty_200(request: web.Request) -> web.Response:
    return web.Response(status=200, text="")


async def _slack_busy(request: web.Request) -> web.Response:
    return web.json_response({"ok": False, "error": "internal_error"}, status=500)


async def _rate_limited(request: web.Request) -> web.Response:
    return web.json_response(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "30"}
    )


async def _never(request: web.Request) -> web.Response:
    await asyncio.Event().wait()  # until the test closes the server
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        (_html_500, "Slack answered HTTP 500 without its usual JSON at {url}auth.test"),
        (_empty_200, "Slack answered HTTP 200 without its usual JSON at {url}auth.test"),
        (_never, "cannot reach Slack at {url}auth.test: no answer within 1 s"),
        (_slack_busy, "Slack answered HTTP 500 (internal_error) at {url}auth.test"),
        (_rate_limited, "Slack answered HTTP 429 (ratelimited) at {url}auth.test"),
    ],
    ids=["html-500", "empty-200", "no-answer", "slack-500", "rate-limited"],
)
async def test_auth_test_without_a_usable_answer_is_one_line_naming_the_url(
    handler: Any, says: str
) -> None:
    """Not a refusal of the token: Slack (or what stands at SLACK_API_URL) gave no usable answer."""
    async with fake_slack_answering(handler) as url:
        with pytest.raises(StartupError) as caught:
            await authorize_at_start(BOT_TOKEN, api_url=url, answer_within=1)
    assert str(caught.value) == says.format(url=url)


async def test_auth_test_over_tls_to_a_server_without_it_says_tls_failed() -> None:
    """https:// to a plain-HTTP port: 'TLS failed', not errno 1's 'operation not permitted'."""
    async with fake_slack_answering(_empty_200) as url:
        tls_url = url.replace("http://", "https://")
        with pytest.raises(StartupError) as caught:
            await authorize_at_start(BOT_TOKEN, api_url=tls_url)
    assert str(caught.value).startswith(f"cannot reach Slack at {tls_url}auth.test: TLS failed (")


async def test_auth_test_against_a_closed_port_says_connection_refused() -> None:
    """A port held but not listening refuses the connection: the line says so."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{held.getsockname()[1]}/api/"
        with pytest.raises(StartupError) as caught:
            await authorize_at_start(BOT_TOKEN, api_url=url)
    assert str(caught.value) == f"cannot reach Slack at {url}auth.test: connection refused"
