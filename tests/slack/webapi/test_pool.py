"""The shared reply sessions: PooledRespond posts as Bolt's respond() does, through one
keep-alive session, and tells how a reply Slack did not take failed; install() puts it on
every listener and the Web API client on a session of its own."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.kit.simulate import signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.service.metrics import ReplyFailure
from bot.slack.listeners.app import fixed_authorize
from bot.slack.webapi.pool import PooledRespond, ReplyPool, install
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


async def test_a_reply_goes_on_the_pools_own_connections_until_they_are_closed(
    pool: ReplyPool, sink: ResponseSink
) -> None:
    """Without a proxy a reply goes on the pool's kept-alive connections (bot/http1), which
    close with the pool and open again after, as its sessions do."""
    connections = pool.connections
    await PooledRespond(response_url=sink.url(), pool=pool)(text="t")
    assert repr(connections) == "Http1Pool(limit=2, open=1)"
    assert pool.api_connections is not connections
    await pool.aclose()
    assert connections.closed
    assert pool.connections is not connections
    assert (await PooledRespond(response_url=sink.url(), pool=pool)(text="t")).status_code == 200


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
