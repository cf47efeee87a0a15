"""`qrinfo serve` wiring: auth.test at start, /slack/events over real HTTP, /healthz."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli import main
from bot.config import load_settings
from bot.kit.simulate import signed_headers, slash_command_body
from bot.kit.sink import ResponseSink
from bot.slack.socket_mode import SocketConnection, retry_after_seconds
from bot.slack.startup import StartupError, TokenRefused, authorize_at_start
from bot.wiring import build_gateway, build_services, build_slack_app
from tests.slack.conftest import SEED_TEXT, SIGNING_SECRET, WAIT, served
from tests.slack.fakes import APP_TOKEN, BOT_TOKEN, FakeSlackApi


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
    bolt_app = build_slack_app(settings, services, authorization=authorization)

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


# --- Socket Mode connection -------------------------------------------------------------------


def socket_connection(slack_api: FakeSlackApi, app_token: str = APP_TOKEN) -> SocketConnection:
    connection = SocketConnection(
        app_token=app_token, web_client=AsyncWebClient(base_url=slack_api.url), ping_interval=0.05
    )
    connection.backoff_initial = 0.01
    return connection


async def test_a_refused_app_token_ends_the_connection_at_the_first_answer(
    slack_api: FakeSlackApi,
) -> None:
    """invalid_auth from apps.connections.open: one call, no retry, the refusal recorded."""
    connection = socket_connection(slack_api, app_token="xapp-not-the-token")
    try:
        await asyncio.wait_for(connection.connect(), 5)
        assert connection.refused == "invalid_auth"
        assert connection.refusal.is_set()
        assert len(slack_api.of("apps.connections.open")) == 1
    finally:
        await connection.close()


async def test_transient_failures_are_retried_with_growing_waits_then_connect(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Three HTML 503s: three one-line warnings with growing waits, then the socket opens."""
    slack_api.connections_failures = 3
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), 5)
        assert await connection.is_connected()
        assert len(slack_api.of("apps.connections.open")) == 4
        retries = [r for r in caplog.records if "cannot open a Socket Mode" in r.getMessage()]
        assert len(retries) == 3
        assert all(r.exc_info is None and "\n" not in r.getMessage() for r in retries)
        waits = [cast(tuple[str, float], r.args)[1] for r in retries]
        assert waits == sorted(waits)
        assert len(set(waits)) == 3
        assert "Slack answered HTTP 503" in retries[0].getMessage()
    finally:
        await connection.close()


@pytest.mark.parametrize("fault", ["dead_urls", "urlless"], ids=["dead-url", "no-url"])
async def test_a_url_that_fails_is_never_tried_twice(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    """A websocket URL nobody answers, or an answer without one: a fresh URL each time, then in."""
    setattr(slack_api, fault, 2)
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), WAIT)
        assert await connection.is_connected()
        assert len(slack_api.of("apps.connections.open")) == 3
        assert [r for r in caplog.records if r.exc_info] == []
        assert "ONE-TIME-TICKET" not in "\n".join(r.getMessage() for r in caplog.records)
    finally:
        await connection.close()


async def test_a_token_revoked_at_reconnection_ends_the_connection_without_an_error_dump(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack asks the bot to reconnect and then refuses the token: the refusal, nothing louder."""
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), WAIT)
        slack_api.app_token_revoked = True
        assert slack_api.socket is not None
        await slack_api.socket.send_json({"type": "disconnect", "reason": "refresh_requested"})
        await asyncio.wait_for(connection.refusal.wait(), WAIT)
        assert connection.refused == "token_revoked"
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [({"Retry-After": "12"}, 12.0), ({"Retry-After": "soon"}, 0.0), ({}, 0.0),
     ({"Retry-After": "inf"}, 30.0), ({"Retry-After": "-5"}, 0.0), ({"Retry-After": "1e9"}, 30.0)],
    ids=["seconds", "not-a-number", "absent", "inf", "negative", "huge"],
)  # fmt: skip
def test_retry_after_is_read_within_reason(header: dict[str, str], seconds: float) -> None:
    """Slack's Retry-After, bounded: never a crash, never an endless wait."""
    assert retry_after_seconds(header, 30.0) == seconds


async def test_a_connection_that_closes_at_once_is_redialled_with_growing_waits(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Hello, then closed: each redial waits longer, one line each, never a tight loop."""
    slack_api.close_at_once = True
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), WAIT)
        await slack_api.wait_for("apps.connections.open", count=4)
        lines = [r for r in caplog.records if "did not last" in r.getMessage()]
        waits = [cast(tuple[float], r.args)[0] for r in lines]
        assert len(waits) >= 3
        assert waits == sorted(waits)
        assert waits[0] < waits[-1]
    finally:
        await connection.close()
