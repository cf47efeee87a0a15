"""Slack calls straight on aiohttp: the same requests as slack_sdk's, byte for byte, the same
responses and errors, the same one retry after a dropped connection."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.http1 import Http1Pool
from bot.slack.webapi.pool import ReplyPool
from bot.slack.webapi.wire import on_shared_session, post_json, users_info

Seen = tuple[str, str, tuple[tuple[bytes, bytes], ...], bytes]


class _Recorder:
    """A loopback server that keeps each request's method, target, every header as sent and
    its body bytes; hangs up without an answer on the first *drops*; answers
    *reply* (status, content type, body)."""

    def __init__(self, drops: int = 0, reply: tuple[int, str, str] = (200, "text/plain", "ok")):
        self.seen: list[Seen] = []
        self.drops = drops
        self.reply = reply

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        # Every header as sent, in order (the port of Host aside: each server has its own).
        headers = tuple((k, v) for k, v in request.raw_headers if k.lower() != b"host")
        self.seen.append((request.method, request.raw_path, headers, body))
        if self.drops:
            self.drops -= 1
            assert request.transport is not None
            request.transport.close()  # a connection reset, as far as the client can tell
            return web.Response()
        status, content_type, text = self.reply
        return web.Response(status=status, text=text, content_type=content_type)


@asynccontextmanager
async def _recording(
    drops: int = 0, reply: tuple[int, str, str] = (200, "text/plain", "ok")
) -> AsyncIterator[tuple[str, _Recorder]]:
    recorder = _Recorder(drops, reply)
    app = web.Application()
    app.router.add_route("*", "/{rest:.*}", recorder.handle)
    async with TestServer(app, host="127.0.0.1", port=0) as server:
        yield str(server.make_url("/")), recorder


@pytest.fixture(params=["on-aiohttp", "on-http1"])
async def connections(request: pytest.FixtureRequest) -> AsyncIterator[Http1Pool | None]:
    """Each call on the aiohttp session, then on kept-alive connections of its own."""
    if request.param == "on-aiohttp":
        yield None
        return
    pool = Http1Pool()
    yield pool
    await pool.aclose()


def went_on(connections: Http1Pool | None) -> bool:
    """The calls went on *connections*, when there are any (one is open, kept alive)."""
    return connections is None or connections.open == 1


MESSAGE = {
    "text": "测试商户 <&> ✓",
    "blocks": [{"text": {"text": "\ud83d\ude00 `x`", "type": "mrkdwn"}, "type": "section"}],
    "response_type": "ephemeral",
    "replace_original": False,
}


async def test_post_json_sends_the_bytes_slack_sdks_webhook_client_sends(
    connections: Http1Pool | None,
) -> None:
    """The same method, path, headers and body bytes, and the same response read back."""
    async with _recording() as (base, recorder), aiohttp.ClientSession() as session:
        url = base + "hooks/T1/B1/xyz"
        theirs = await AsyncWebhookClient(url=url, session=session).send_dict(dict(MESSAGE))
        ours = await post_json(session, url, dict(MESSAGE), None, connections=connections)
    assert len(recorder.seen) == 2
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert went_on(connections)
    assert recorder.seen[0] == recorder.seen[1]
    assert (ours.api_url, ours.status_code, ours.body) == (theirs.api_url, theirs.status_code, "ok")


async def test_post_json_hands_aiohttp_the_body_as_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body is encoded once: aiohttp sends bytes as given, while a str would be held
    beside its encoded copy for as long as the reply waits for a connection."""
    bodies: list[object] = []
    async with _recording() as (url, _), aiohttp.ClientSession() as session:
        request = session.request

        def recorded(*args: Any, **kwargs: Any) -> Any:
            bodies.append(kwargs["data"])
            return request(*args, **kwargs)

        monkeypatch.setattr(session, "request", recorded)
        await post_json(session, url, dict(MESSAGE), None, connections=None)
    assert [type(body) for body in bodies] == [bytes]


async def _outcome(call: Callable[[], Awaitable[Any]]) -> object:
    try:
        return (await call()).status_code
    except (aiohttp.ClientError, SlackApiError) as exc:
        return (type(exc), str(exc))


@pytest.mark.parametrize("drops", [1, 2], ids=["once", "twice"])
async def test_post_json_retries_a_dropped_connection_once_as_slack_sdk_does(
    drops: int, monkeypatch: pytest.MonkeyPatch, connections: Http1Pool | None
) -> None:
    """One more attempt after a connection error, then the error: as many attempts and the
    same outcome as the webhook client's default retry."""
    monkeypatch.setattr(default_interval_calculator, "calculate_sleep_duration", lambda n: 0)
    outcomes = []
    for ours in (False, True):
        async with _recording(drops) as (url, recorder), aiohttp.ClientSession() as session:
            client = AsyncWebhookClient(url=url, session=session)
            mine = connections
            post = (
                (lambda: post_json(session, url, dict(MESSAGE), None, connections=mine))  # noqa: B023
                if ours
                else (lambda: client.send_dict(dict(MESSAGE)))  # noqa: B023  # awaited here
            )
            outcomes.append((await _outcome(post), len(recorder.seen)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1] == 2


LOCALE_REPLY = (200, "application/json", json.dumps({"ok": True, "user": {"locale": "zh-CN"}}))


@pytest.mark.parametrize(
    "reply",
    [
        LOCALE_REPLY,
        (200, "application/json", json.dumps({"ok": False, "error": "missing_scope"})),
        (429, "application/json", json.dumps({"ok": False, "error": "ratelimited"})),
        (500, "application/json", "{}"),
        (200, "text/html", "<html>a proxy's page</html>"),
        (200, "application/json", "not json"),
        (200, "text/plain", "ok"),
    ],
    ids=["found", "refused", "rate-limited", "server-error", "html", "broken-json", "text"],
)
@pytest.mark.parametrize("team", [None, "T0QRINFO01"], ids=["one-workspace", "grid"])
async def test_users_info_asks_and_answers_as_slack_sdk_does(
    reply: tuple[int, str, str], team: str | None, connections: Http1Pool | None
) -> None:
    """The same GET (path, query, headers) and the same data or the same SlackApiError."""
    results: list[object] = []
    async with _recording(reply=reply) as (url, recorder), aiohttp.ClientSession() as session:
        client = AsyncWebClient(token="xoxb-1", base_url=url, session=session, team_id=team)
        assert on_shared_session(client)
        calls: list[Callable[[], Awaitable[AsyncSlackResponse]]] = [
            lambda: client.users_info(user="U1", include_locale=True),
            lambda: users_info(client, "U1", connections=connections),
        ]
        for call in calls:
            try:
                response = await call()
                results.append((response.status_code, response.data, response.api_url))
            except (SlackApiError, AttributeError) as exc:  # slack_sdk cannot read text/plain
                results.append((type(exc), str(exc).splitlines()[0]))  # its words; a Date
    assert results[0] == results[1]
    assert went_on(connections)
    asked = recorder.seen
    assert len(asked) == 2  # once each, whatever the reply
    assert asked[0] == asked[1]
    assert asked[0][1] == "/users.info?user=U1&include_locale=1" + (
        f"&team_id={team}" if team else ""
    )


@pytest.mark.parametrize("drops", [1, 2, 3, 4], ids=["once", "twice", "thrice", "four-times"])
async def test_users_info_tries_after_a_dropped_connection_as_often_as_slack_sdk(
    drops: int, connections: Http1Pool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp sends a GET again once when its connection was lost, and slack_sdk's retry
    asks again once: as many tries, and the same outcome, whichever way it goes."""
    monkeypatch.setattr(default_interval_calculator, "calculate_sleep_duration", lambda n: 0)
    seen = []
    for ours in (False, True):
        async with (
            _recording(drops=drops, reply=LOCALE_REPLY) as (url, recorder),
            aiohttp.ClientSession() as session,
        ):
            client = AsyncWebClient(token="xoxb-1", base_url=url, session=session)
            call: Callable[[], Awaitable[AsyncSlackResponse]] = (
                (lambda: users_info(client, "U1", connections=connections))  # noqa: B023  # awaited here
                if ours
                else (lambda: client.users_info(user="U1", include_locale=True))  # noqa: B023
            )
            try:
                outcome: object = (await call())["user"]
            except aiohttp.ClientError as exc:
                outcome = type(exc)
            seen.append((outcome, len(recorder.seen)))
    assert seen[0] == seen[1]
    assert seen[0][1] == min(drops + 1, 4)


async def test_only_a_client_with_a_live_session_and_the_default_retry_is_taken() -> None:
    async with aiohttp.ClientSession() as session:
        assert on_shared_session(AsyncWebClient(token="x", session=session))
        assert not on_shared_session(AsyncWebClient(token="x"))  # a session per call
        custom = AsyncWebClient(token="x", session=session)
        custom.retry_handlers.append(AsyncRateLimitErrorRetryHandler())
        assert not on_shared_session(custom)
    assert not on_shared_session(AsyncWebClient(token="x", session=session))  # closed


async def test_a_reply_goes_through_the_proxy_the_environment_names_as_slack_sdks_does(
    monkeypatch: pytest.MonkeyPatch, connections: Http1Pool | None
) -> None:
    """HTTPS_PROXY and the like: read by slack_sdk for each webhook client, by the reply
    pool once; the proxy sees the same request from both (kept-alive connections of the
    pool's own or not: they take no proxy, so a reply to be proxied is not theirs)."""
    async with _recording() as (proxy, recorder), aiohttp.ClientSession() as session:
        monkeypatch.setenv("HTTP_PROXY", proxy.rstrip("/"))
        url = "http://hooks.slack.invalid/commands/T1/B1/xyz"
        theirs = await AsyncWebhookClient(url=url, session=session).send_dict(dict(MESSAGE))
        pool = ReplyPool()
        ours = await post_json(session, url, dict(MESSAGE), pool.proxy, connections=connections)
        await pool.aclose()
    assert (theirs.status_code, ours.status_code) == (200, 200)
    assert len(recorder.seen) == 2
    assert recorder.seen[0] == recorder.seen[1]
    assert recorder.seen[0][1] == url  # the proxy was asked for the URL itself


def _said(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    """*logger*'s lines, with the Date header (a clock) blanked."""
    lines = [r.getMessage() for r in caplog.records if r.name == logger]
    caplog.clear()
    return [re.sub(r"'Date': '[^']*'", "'Date': ''", line) for line in lines]


async def test_at_debug_a_reply_logs_what_slack_sdks_webhook_client_logs(
    caplog: pytest.LogCaptureFixture, connections: Http1Pool | None
) -> None:
    logger = "slack_sdk.webhook.async_client"
    caplog.set_level(logging.DEBUG, logger=logger)
    async with _recording() as (base, _), aiohttp.ClientSession() as session:
        url = base + "hooks/T1/B1/xyz"
        await AsyncWebhookClient(url=url, session=session).send_dict(dict(MESSAGE))
        theirs = _said(caplog, logger)
        await post_json(session, url, dict(MESSAGE), None, connections=connections)
        ours = _said(caplog, logger)
    assert len(theirs) == 2
    assert ours == theirs


async def test_at_debug_users_info_logs_what_slack_sdk_logs(
    caplog: pytest.LogCaptureFixture, connections: Http1Pool | None
) -> None:
    """The token redacted, as slack_sdk redacts it."""
    async with (
        _recording(reply=LOCALE_REPLY) as (url, _),
        aiohttp.ClientSession() as session,
    ):
        client = AsyncWebClient(token="xoxb-1", base_url=url, session=session, team_id="T1")
        caplog.set_level(logging.DEBUG, logger=client.logger.name)
        await client.users_info(user="U1", include_locale=True)
        theirs = _said(caplog, client.logger.name)
        await users_info(client, "U1", connections=connections)
        ours = _said(caplog, client.logger.name)
    assert went_on(connections)
    assert len(theirs) == 2
    assert ours == theirs
    assert "xoxb-1" not in " ".join(ours)
