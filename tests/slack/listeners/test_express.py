"""The express path for /qrinfo over HTTP: the same acks and the same replies as Bolt's
dispatch, byte for byte, for every kind of command; tracked for a stop from the ack on."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.kit.simulate import slash_command_body
from bot.kit.sink import ResponseSink
from bot.service.services import Services
from bot.slack.listeners.express import BOLT_MIDDLEWARE, client_like_bolts
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi
from tests.slack.helpers import (
    SEED_TEXT,
    TEST_AUTHORIZATION,
    WAIT,
    AppFactory,
    admitted,
    served,
    sign,
)

OPERATOR = "U0OPERATOR"
# Whatever a command can be: a card, a refusal, every input error, help, status, a batch.
TEXTS = [
    SEED_TEXT,
    "898340149000005 31942002268195125132885377 898340149000005 31940000000000000000000001",
    "898340149000005 31940000000000000000000001",  # not found
    "",
    "help",
    "帮助",
    "status",
    "898340149000005 3194-2002",
    "1 2 3",
    "<script>&amp; `x` *y*",
    "898340149000005 https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
    "898340149000005 31942611251300020000000002",  # a refunded bill
    f"{SEED_TEXT}\n{SEED_TEXT}",  # the same code twice
]


@dataclass
class Exchange:
    """What Slack saw of one command: the ack, then every reply, and the Web API calls."""

    status: int
    content_type: str
    ack: bytes
    replies: list[str]
    api_calls: list[tuple[str, dict[str, Any]]]


def _steady(text: str) -> str:
    """A reply without what differs from one lookup to the next: how long it took, when,
    and the msgId (random)."""
    text = re.sub(r"\b\d[\d,]* (ms|毫秒)", r"N \1", text)
    text = re.sub(r"<!date\^\d+\^", "<!date^T^", text)
    text = re.sub(r"qri[0-9a-f]{32}", "qriMSGID", text)
    return re.sub(r"\d{2}:\d{2}:\d{2}", "HH:MM:SS", text)


@asynccontextmanager
async def _door(
    make_app: AppFactory, *, express: bool, **values: Any
) -> AsyncIterator[tuple[str, Services]]:
    slack, services = make_app.slack_app(qrinfo_operators=OPERATOR, **values)
    async with served(slack.bolt, express=slack.express if express else None) as (url, _):
        yield url, services


@dataclass
class Slack:
    """Where the replies and the Web API calls land; how many replies were read already."""

    sink: ResponseSink
    api: FakeSlackApi
    read: int = 0

    async def exchange(self, url: str, services: Services, text: str, user: str) -> Exchange:
        body = slash_command_body(text, response_url=self.sink.url(), user_id=user).encode()
        before = len(self.api.calls)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{url}/slack/events", data=body, headers=sign(body)) as response,
        ):
            ack = await response.read()
            status = response.status
            # Every header of the ack as sent, in order (the Date aside: a clock).
            content_type = repr([h for h in response.raw_headers if h[0].lower() != b"date"])
        assert await services.inflight.drain(WAIT)
        replies = []
        while self.sink.count > self.read:
            payload = (await self.sink.next(WAIT)).payload
            replies.append(_steady(json.dumps(payload, ensure_ascii=False)))
            self.read += 1
        return Exchange(status, content_type, ack, replies, self.api.calls[before:])


@pytest.mark.parametrize(
    ("user", "settings"),
    [
        ("U0READER", {}),
        (OPERATOR, {}),
        ("U0READER", {"qrinfo_allowed_users": "U0SOMEONE"}),
        ("U0READER", {"qrinfo_user_rate": "2"}),
    ],
    ids=["reader", "operator", "not-allowed", "rate-limited"],
)
async def test_express_acks_and_replies_exactly_as_bolt_does(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    user: str,
    settings: dict[str, str],
) -> None:
    """Every kind of command through both paths: the same ack, the same reply bytes (but
    for times), the same users.info call with the bot's token."""
    slack_api.locales[user] = "zh-CN"
    slack = Slack(sink, slack_api)
    seen: dict[bool, list[Exchange]] = {}
    for express in (False, True):
        async with _door(make_app, express=express, **settings) as (url, services):
            seen[express] = [await slack.exchange(url, services, text, user) for text in TEXTS]
    for text, bolt, fast in zip(TEXTS, seen[False], seen[True], strict=True):
        assert fast == bolt, text
        assert bolt.replies, text
    assert [c for c in slack_api.tokens if c[0] == "users.info"] == [("users.info", BOT_TOKEN)] * 2


async def test_bolt_runs_the_middleware_the_express_path_was_written_for(
    make_app: AppFactory,
) -> None:
    """A middleware Bolt gains (an upgrade, a new listener group) must be done in the express
    path too, or /qrinfo sent back through Bolt: this fails until someone decides."""
    app = make_app()
    assert tuple(m.name for m in app._async_middleware_list) == BOLT_MIDDLEWARE


async def test_the_first_listener_bolt_would_run_for_qrinfo_is_the_command(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """No listener registered before the command takes /qrinfo, so skipping Bolt's matching
    skips no one."""
    app = make_app()
    request = AsyncBoltRequest(body=slash_command_body("x", response_url=sink.url()), mode="http")
    matching = [
        listener
        for listener in app._async_listeners
        if await listener.async_matches(req=request, resp=None)  # type: ignore[arg-type]
    ]
    assert [listener.ack_function.__name__ for listener in matching] == ["qrinfo"]
    # Nothing of its own that the express path would skip: no middleware, one matcher.
    assert matching[0].middleware == []
    assert len(matching[0].matchers) == 1
    assert not matching[0].auto_acknowledgement


async def test_the_client_is_the_one_bolt_builds_for_theadmitted(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Field by field, the client Bolt's AsyncApp._init_context builds for a request, with the
    token its authorization middleware puts on it (the express path builds its own)."""
    app = make_app()
    base = app.client  # anything but slack_sdk's defaults, so a field not copied shows
    base.session, base.timeout, base.proxy = aiohttp.ClientSession(), 7, "http://127.0.0.1:9"
    base.trust_env_in_session, base.ssl = True, ssl.create_default_context()
    base.headers["X-Test"] = "1"
    base.retry_handlers = [AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
    try:
        body = slash_command_body("x", response_url=sink.url(), team_id="T0OTHER")
        request = AsyncBoltRequest(body=body, mode="http")
        app._init_context(request)
        bolts: AsyncWebClient = request.context.client
        bolts.token = TEST_AUTHORIZATION.bot_token
        ours = client_like_bolts(app.client, TEST_AUTHORIZATION, request.context.team_id)
    finally:
        await base.session.close()
    fields = ["token", "base_url", "timeout", "ssl", "proxy", "session", "trust_env_in_session"]
    fields += ["headers", "default_params", "logger"]
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(bolts, f) for f in fields}
    assert ours.default_params == {"team_id": "T0OTHER"}
    handlers = [(type(h), vars(h)) for h in ours.retry_handlers]
    assert handlers == [(type(h), vars(h)) for h in bolts.retry_handlers]


@pytest.mark.parametrize(
    ("body", "mode", "taken"),
    [
        (slash_command_body("x", response_url="https://hooks.slack.com/x"), "http", True),
        (slash_command_body("x", response_url="u", command="/other"), "http", False),
        (slash_command_body("x", response_url="u") + "&ssl_check=1", "http", False),
        (
            slash_command_body("x", response_url="u")
            + "&function_execution_id=Fx1&bot_access_token=xwfp-1",
            "http",
            False,
        ),
        (slash_command_body("x", response_url="u"), "socket_mode", False),
    ],
    ids=["qrinfo", "another-command", "ssl-check", "function-token", "socket-mode"],
)
async def test_express_takes_only_a_qrinfo_command_over_http(
    make_app: AppFactory, body: str, mode: str, taken: bool
) -> None:
    slack, _ = make_app.slack_app()
    assert slack.express.takes(admitted(body, mode=mode)) is taken


async def test_the_work_is_tracked_before_the_ack_returns(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """A stop that begins right after the ack waits for this lookup: it is in flight before
    the loop has run a step of it."""
    slack, services = make_app.slack_app()
    task = slack.express.start(admitted(slash_command_body(SEED_TEXT, response_url=sink.url())))
    assert len(services.inflight) == 1
    assert not task.done()
    assert await services.inflight.drain(WAIT)
    assert (await sink.next(WAIT)).payload["text"].startswith("测试商户")


async def test_the_lookup_lets_go_of_the_request_once_started(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """The lookup keeps the request's context and body, not the request with its headers and
    raw text: under a burst a thousand lookups are in flight at once."""
    slack, services = make_app.slack_app()
    request = admitted(slash_command_body(SEED_TEXT, response_url=sink.url()))
    task = slack.express.start(request)
    request_held = weakref.ref(request)
    del request
    assert request_held() is None
    assert not task.done()
    assert await services.inflight.drain(WAIT)
    assert (await sink.next(WAIT)).payload["text"].startswith("测试商户")


async def test_an_unexpected_error_is_apologised_for_with_a_reference(
    make_app: AppFactory, sink: ResponseSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Bolt's error handler does for a verified request: one apology, with a reference."""
    slack, services = make_app.slack_app()

    def broken(*args: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.slack.listeners.commands.after_ack", broken)
    slack.express.start(admitted(slash_command_body(SEED_TEXT, response_url=sink.url())))
    payload = (await sink.next(WAIT)).payload
    assert re.search(r"err-[0-9a-f]{12}", json.dumps(payload))
    await asyncio.sleep(0)  # the apology's task has posted; let its own end run
    assert await services.inflight.drain(WAIT)
