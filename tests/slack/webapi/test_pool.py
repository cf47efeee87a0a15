"""The shared reply sessions: PooledRespond posts as Bolt's respond() does, through one
keep-alive session, and tells how a reply Slack did not take failed; install() puts it on
every listener and the Web API client on a session of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.kit.simulate import signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.service.metrics import ReplyFailure
from bot.slack.listeners.app import fixed_authorize
from bot.slack.webapi.pool import PooledRespond, ReplyPool, install, post_json
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SIGNING_SECRET, TEST_AUTHORIZATION, WAIT


@pytest.fixture
async def pool() -> Any:
    made = ReplyPool(max_connections=2, max_api_connections=2)
    yield made
    await made.aclose()


async def test_a_reply_carries_text_and_only_the_fields_given(
    pool: ReplyPool, sink: ResponseSink
) -> None:
    told: list[ReplyFailure] = []
    respond = PooledRespond(response_url=sink.url(), pool=pool, failed=told.append)
    response = await respond(text="t", blocks=[{"type": "divider"}], replace_original=False)
    assert response.status_code == 200
    assert (await sink.next(WAIT)).payload == {
        "text": "t",
        "blocks": [{"type": "divider"}],
        "replace_original": False,
    }
    assert told == []


async def test_replies_share_one_session_until_it_is_closed(pool: ReplyPool) -> None:
    session = pool.session()
    assert pool.session() is session
    assert pool.api_session() is not session
    await pool.aclose()
    assert session.closed
    assert not pool.session().closed


async def test_a_spent_response_url_is_told_as_spent(pool: ReplyPool) -> None:
    told: list[ReplyFailure] = []
    async with ResponseSink(status=404) as spent:
        await PooledRespond(response_url=spent.url(), pool=pool, failed=told.append)(text="t")
    assert told == ["spent"]


async def test_any_other_refusal_is_told_as_refused(
    pool: ReplyPool, slack_api: FakeSlackApi
) -> None:
    """A 500 with words of its own (the fake's upload URL, set to fail)."""
    slack_api.upload_status = 500
    url = slack_api.url.replace("/api/", "/upload/F1")
    told: list[ReplyFailure] = []
    response = await PooledRespond(response_url=url, pool=pool, failed=told.append)(text="t")
    assert (response.status_code, told) == (500, ["refused"])


async def test_a_reply_nobody_answers_is_told_as_unreachable_and_raised(pool: ReplyPool) -> None:
    async with ResponseSink() as gone:
        url = gone.url()
    told: list[ReplyFailure] = []
    with pytest.raises(aiohttp.ClientError):
        await PooledRespond(response_url=url, pool=None, failed=told.append)(text="t")
    assert told == ["unreachable"]


async def test_install_gives_every_listener_a_pooled_respond(
    pool: ReplyPool, sink: ResponseSink
) -> None:
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        authorize=fixed_authorize(TEST_AUTHORIZATION),
        process_before_response=True,
    )
    install(app, pool)
    assert app.client.session is pool.api_session()
    seen: list[AsyncRespond] = []

    @app.command("/qrinfo")
    async def listener(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        seen.append(respond)
        await respond(text="pooled")

    body = slash_command_body("x", response_url=sink.url())
    response = await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    assert response.status == 200
    assert [type(r) for r in seen] == [PooledRespond]
    assert (await sink.next(WAIT)).payload == {"text": "pooled"}


class _Recorder:
    """A loopback server that keeps each request's method, path, headers and body bytes, and
    hangs up without an answer on the first *drops* requests."""

    def __init__(self, drops: int = 0) -> None:
        self.seen: list[tuple[str, str, str, str, bytes]] = []
        self.drops = drops

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = request.headers
        self.seen.append(
            (request.method, request.path, headers["Content-Type"], headers["User-Agent"], body)
        )
        if self.drops:
            self.drops -= 1
            assert request.transport is not None
            request.transport.close()  # a connection reset, as far as the client can tell
            return web.Response()
        return web.Response(text="ok", headers={"X-Seen": str(len(self.seen))})


@asynccontextmanager
async def _recording(drops: int = 0) -> AsyncIterator[tuple[str, _Recorder]]:
    recorder = _Recorder(drops)
    app = web.Application()
    app.router.add_post("/hooks/{rest:.*}", recorder.handle)
    async with TestServer(app, host="127.0.0.1", port=0) as server:
        yield str(server.make_url("/hooks/T1/B1/xyz")), recorder


MESSAGE = {
    "text": "测试商户 <&> ✓",
    "blocks": [{"text": {"text": "\ud83d\ude00 `x`", "type": "mrkdwn"}, "type": "section"}],
    "response_type": "ephemeral",
    "replace_original": False,
}


async def test_post_json_sends_the_bytes_slack_sdks_webhook_client_sends() -> None:
    """The same method, path, headers and body bytes, and the same response read back."""
    async with _recording() as (url, recorder), aiohttp.ClientSession() as session:
        theirs = await AsyncWebhookClient(url=url, session=session).send_dict(dict(MESSAGE))
        ours = await post_json(session, url, dict(MESSAGE))
    assert recorder.seen[0] == recorder.seen[1]
    assert (ours.api_url, ours.status_code, ours.body) == (theirs.api_url, theirs.status_code, "ok")
    assert (ours.headers["X-Seen"], theirs.headers["X-Seen"]) == ("2", "1")


@pytest.mark.parametrize("drops", [1, 2], ids=["once", "twice"])
async def test_post_json_retries_a_dropped_connection_once_as_slack_sdk_does(
    drops: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One more attempt after a connection error, then the error: as many attempts and the
    same outcome as the webhook client's default retry."""
    monkeypatch.setattr(default_interval_calculator, "calculate_sleep_duration", lambda n: 0)
    outcomes = []
    for post in (
        lambda session, url: AsyncWebhookClient(url=url, session=session).send_dict(dict(MESSAGE)),
        lambda session, url: post_json(session, url, dict(MESSAGE)),
    ):
        async with _recording(drops) as (url, recorder), aiohttp.ClientSession() as session:
            try:
                outcome: object = (await post(session, url)).status_code
            except aiohttp.ClientError as exc:
                outcome = type(exc)
        outcomes.append((outcome, len(recorder.seen)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == ((200, 2) if drops == 1 else (aiohttp.ServerDisconnectedError, 2))
