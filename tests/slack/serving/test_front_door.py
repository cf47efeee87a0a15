"""The front door: nothing of an unverified request is used; odd bodies end cleanly.

Every request goes over real HTTP to the real app (``FrontDoor`` + Bolt), with
real signatures; a local server stands in for the response_url and must hear
nothing it should not.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.gateway.ids import QrCodeRef
from bot.kit.simulate import interaction_body, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.cards.blocks import REFRESH_ACTION
from bot.slack.cards.card import SHARE_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from bot.slack.listeners.shortcuts import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from bot.slack.reading.button import encode_button_value
from bot.slack.serving import front_door
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    SEED_TEXT,
    SIGNING_SECRET,
    WAIT,
    AppFactory,
    Clock,
    comes_at_once,
    held_then_released,
    released_by_hand,
    served,
    sign,
)
from tests.slack.payloads import button_click, global_shortcut, message_shortcut, view_submission

SEED = QrCodeRef("898340149000005", "31942002268195125132885377")
FORM = "application/x-www-form-urlencoded"


class Door:
    """The app behind its front door on a loopback port, and a session to knock with."""

    def __init__(self, app: AsyncApp, url: str, session: aiohttp.ClientSession) -> None:
        self.app = app
        self.url = url
        self.session = session

    async def post(
        self, body: bytes, headers: dict[str, str], content_type: str = FORM
    ) -> tuple[int, str]:
        async with self.session.post(
            self.url, data=body, headers=headers | {"Content-Type": content_type}
        ) as response:
            return response.status, await response.text()

    async def signed(self, body: bytes, content_type: str = FORM) -> tuple[int, str]:
        return await self.post(body, sign(body), content_type)


@pytest.fixture
async def door(make_app: AppFactory) -> AsyncIterator[Door]:
    app = make_app()
    async with served(app) as (url, _), aiohttp.ClientSession() as session:
        yield Door(app, url + "/slack/events", session)


def command(sink: ResponseSink) -> bytes:
    return slash_command_body(SEED_TEXT, response_url=sink.url()).encode()


def interaction(payload: dict[str, Any]) -> bytes:
    return interaction_body(payload).encode()


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- unverified: 401, nothing used --------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "1.5", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=00"},
        {"X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v1=ab"},
    ],
    ids=[
        "timestamp-abc",
        "timestamp-1.5",
        "timestamp-empty",
        "timestamp-negative",
        "timestamp-huge",
        "no-timestamp",
        "no-signature",
        "no-headers",
        "wrong-signature",
        "malformed-signature",
    ],
)
async def test_an_unverifiable_command_is_401_and_its_response_url_hears_nothing(
    door: Door,
    sink: ResponseSink,
    sandbox: SandboxGateway,
    slack_api: FakeSlackApi,
    headers: dict[str, str],
) -> None:
    """Whatever is wrong with the signature headers: 401, empty body, nothing used at all."""
    status, text = await door.post(command(sink), headers)
    assert (status, text) == (401, "")
    assert sink.count == 0
    assert sandbox.query_requests == 0
    assert slack_api.calls == []


@pytest.mark.parametrize(
    ("secret", "age"),
    [("not-the-secret", 0), (SIGNING_SECRET, 301), (SIGNING_SECRET, -301)],
    ids=["forged", "301-seconds-old", "301-seconds-ahead"],
)
async def test_a_forged_or_stale_signature_is_401(
    door: Door, sink: ResponseSink, sandbox: SandboxGateway, secret: str, age: int
) -> None:
    """A signature by another secret, or older or newer than five minutes, is refused."""
    body = command(sink)
    status, _ = await door.post(body, sign(body, secret=secret, stamp=str(int(time.time()) - age)))
    assert status == 401
    assert sink.count == 0
    assert sandbox.query_requests == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=notjson", FORM),
        (b"payload=null", FORM),
        (b"123", FORM),
        (b"[1,2]", "application/json"),
        (b"payload=\xff\xfe", FORM),
        (b"ssl_check=1&token=x", FORM),
    ],
    ids=["payload-notjson", "payload-null", "123", "json-list", "not-utf8", "ssl-check"],
)
async def test_an_unsigned_odd_body_is_401_like_any_other(
    door: Door, sink: ResponseSink, body: bytes, content_type: str
) -> None:
    """Unsigned is unsigned, whatever the body: 401, never a 500."""
    status, _ = await door.post(body, {}, content_type)
    assert status == 401


async def test_the_app_alone_refuses_an_unverifiable_request_and_never_replies(
    door: Door, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Even dispatched straight to the app (no front door), timestamp 'abc' is a 401, no reply."""
    request = AsyncBoltRequest(
        body=command(sink).decode(),
        headers={"x-slack-request-timestamp": "abc", "x-slack-signature": "v0=00"},
    )
    response = await door.app.async_dispatch(request)
    assert response.status == 401
    assert sink.count == 0
    assert sandbox.query_requests == 0


async def test_refusals_are_logged_once_a_minute_per_reason_without_the_request(
    door: Door, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten forged requests: one WARNING naming the reason; nothing of the request in it."""
    caplog.set_level(logging.INFO)
    body = command(sink)
    for _ in range(10):
        await door.post(body, sign(body, secret="forged"))
    [warning] = problems(caplog)
    assert warning.getMessage() == "refused a request to /slack/events: signature mismatch"
    assert sink.url() not in "\n".join(r.getMessage() for r in caplog.records)


# --- verified but not what Slack sends: 200, one WARNING ----------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=notjson", FORM),
        (b"payload=null", FORM),
        (b"123", FORM),
        (b"[1,2]", FORM),
        (b"[1,2]", "application/json"),
        (b"payload=\xff\xfe", FORM),
        (b"command=%2Fqrinfo&text=x", "application/json"),
        (b"", FORM),
        (b"payload", FORM),
    ],
    ids=[
        "payload-notjson",
        "payload-null",
        "123",
        "form-list",
        "json-list",
        "not-utf8",
        "form-labelled-json",
        "empty",
        "word-payload",
    ],
)
async def test_a_signed_body_slack_would_not_send_is_acked_with_one_warning(
    door: Door,
    sandbox: SandboxGateway,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    """200, exactly one WARNING line, no traceback, no 500, nothing looked up."""
    status, _ = await door.signed(body, content_type)
    assert status == 200
    [warning] = problems(caplog)
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith("ignored a request that Slack would not send: ")
    assert warning.exc_info is None
    assert sandbox.query_requests == 0


def _click(action_id: str, sink: ResponseSink, **changes: Any) -> dict[str, Any]:
    click = button_click(action_id, encode_button_value(SEED), response_url=sink.url())
    return click | changes


@pytest.mark.parametrize(
    "payload_of",
    [
        lambda sink: _click(REFRESH_ACTION, sink, actions=[]),
        lambda sink: _click(REFRESH_ACTION, sink, actions=[None]),
        lambda sink: _click(SHARE_ACTION, sink, user=None),
        lambda sink: {k: v for k, v in _click(SHARE_ACTION, sink).items() if k != "user"},
        lambda sink: (
            message_shortcut(MESSAGE_SHORTCUT, "x", response_url=sink.url()) | {"message": None}
        ),
        lambda sink: {
            k: v
            for k, v in message_shortcut(MESSAGE_SHORTCUT, "x", response_url=sink.url()).items()
            if k != "trigger_id"
        },
        lambda sink: _click(REFRESH_ACTION, sink, user=5),
    ],
    ids=[
        "actions-empty",
        "actions-null-item",
        "user-null",
        "no-user",
        "message-null",
        "no-trigger-id",
        "user-a-number",
    ],
)
async def test_an_odd_signed_payload_with_a_response_url_gets_a_clear_message(
    door: Door,
    sink: ResponseSink,
    sandbox: SandboxGateway,
    caplog: pytest.LogCaptureFixture,
    payload_of: Any,
) -> None:
    """Ack, one WARNING, and a plain 'could not be read' note to the (verified) response_url."""
    status, _ = await door.signed(interaction(payload_of(sink)))
    assert status == 200
    told = (await sink.next(WAIT)).payload
    assert "could not be read" in told["text"]
    assert "Sorry, something went wrong" not in json.dumps(told)
    assert [r.levelno for r in problems(caplog)] == [logging.WARNING]
    assert sandbox.query_requests == 0


@pytest.mark.parametrize(
    "payload",
    [
        view_submission(FORM_CALLBACK, SEED.mid, SEED.qr_code_id) | {"view": None},
        {k: v for k, v in global_shortcut(GLOBAL_SHORTCUT).items() if k != "trigger_id"},
        {k: v for k, v in global_shortcut(GLOBAL_SHORTCUT).items() if k != "user"},
    ],
    ids=["view-null", "shortcut-without-trigger-id", "shortcut-without-user"],
)
async def test_an_odd_signed_payload_without_a_reply_path_is_acked_with_one_warning(
    door: Door,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, Any],
) -> None:
    """No response_url to answer on: 200, one WARNING, no Slack API call, no error."""
    status, _ = await door.signed(interaction(payload))
    assert status == 200
    assert [r.levelno for r in problems(caplog)] == [logging.WARNING]
    assert slack_api.calls == []


async def test_a_form_submitted_with_state_null_shows_both_fields_as_missing(
    door: Door, sandbox: SandboxGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """state: null reads as an empty form: the modal stays open with an error under each field."""
    payload = view_submission(FORM_CALLBACK, SEED.mid, SEED.qr_code_id)
    payload["view"]["state"] = None
    status, text = await door.signed(interaction(payload))
    assert status == 200
    answer = json.loads(text)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"mid", "qrCodeId"}
    assert problems(caplog) == []
    assert sandbox.query_requests == 0


async def test_a_failed_share_with_channel_null_still_tells_the_clicker(
    door: Door, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """channel: null, and the response_url refuses: the notice goes by chat.postEphemeral to the
    container's channel; nothing crashes."""
    async with ResponseSink(status=404) as refusing:
        click = _click(SHARE_ACTION, refusing, channel=None)
        status, _ = await door.signed(interaction(click))
        assert status == 200
        posted = await refusing.next(WAIT)  # the share, refused
        assert posted.payload["response_type"] == "in_channel"
        await refusing.next(WAIT)  # the notice, refused too
    [notice] = await slack_api.wait_for("chat.postEphemeral")
    assert notice["channel"] == click["container"]["channel_id"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_signed_command_still_gets_its_card_through_the_door(
    door: Door, sink: ResponseSink
) -> None:
    """The front door lets Slack's own requests through, form-encoded as Slack sends them."""
    status, text = await door.signed(command(sink))
    assert (status, text) == (200, "")
    assert (await sink.next(WAIT)).payload["text"].startswith("测试商户")


async def test_only_verified_requests_make_a_burst_that_holds_back_work(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Forged requests hold nothing (nothing of theirs is used, not even their arrival):
    a verified command after a forged one is alone. Two verified ones are a burst: what can
    wait is held until the quiet time has passed."""
    clock = Clock()
    acks_first = released_by_hand(clock)
    app = make_app()
    async with (
        served(app, acks_first=acks_first) as (url, _),
        aiohttp.ClientSession() as session,
    ):
        door = Door(app, url + "/slack/events", session)
        body = command(sink)
        assert (await door.post(body, sign(body, secret="not-the-secret")))[0] == 401
        assert (await door.post(body, {}))[0] == 401
        assert (await door.signed(body))[0] == 200
        assert await comes_at_once(acks_first)  # one verified request: alone
        assert (await door.signed(body))[0] == 200
        await held_then_released(acks_first, clock)
        await sink.next(WAIT)  # the commands' own cards
        await sink.next(WAIT)


async def test_a_signed_ssl_check_is_answered_200_as_slacks_own(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack's periodic ssl_check, signed, gets its 200 from Bolt: not ignored as odd."""
    status, _ = await door.signed(urlencode({"ssl_check": "1", "token": "x"}).encode())
    assert status == 200
    assert problems(caplog) == []


@pytest.mark.parametrize(
    "payload",
    [
        {
            "type": "view_closed",
            "user": {"id": "U1"},
            "view": {"type": "modal", "callback_id": "x"},
        },
        {"type": "block_suggestion", "user": {"id": "U1"}, "action_id": "x", "value": "a"},
        {"type": "workflow_step_edit", "callback_id": "x", "user": {"id": "U1"}},
        {"type": "interactive_message", "callback_id": "x", "actions": [], "user": {"id": "U1"}},
    ],
    ids=["view-closed", "block-suggestion", "workflow-step-edit", "attachment-action"],
)
async def test_a_kind_of_payload_the_app_does_not_handle_is_acked_with_one_line(
    door: Door, caplog: pytest.LogCaptureFixture, payload: dict[str, Any]
) -> None:
    """Slack kinds the app has no listener for: 200 and one WARNING, not a 404 and nine lines."""
    status, _ = await door.signed(interaction(payload))
    assert status == 200
    [warning] = problems(caplog)
    assert "\n" not in warning.getMessage()


@pytest.mark.parametrize(
    "payload_of",
    [
        lambda sink: button_click("an_old_button", "{}", response_url=sink.url()),
        lambda sink: view_submission("another_form", SEED.mid, SEED.qr_code_id),
        lambda sink: global_shortcut("another_shortcut"),
    ],
    ids=["unknown-action", "unknown-form", "unknown-shortcut"],
)
async def test_a_request_no_listener_takes_is_acked_with_one_line(
    door: Door, sink: ResponseSink, caplog: pytest.LogCaptureFixture, payload_of: Any
) -> None:
    """A well-formed click or form this version has no listener for: 200 and one WARNING."""
    status, _ = await door.signed(interaction(payload_of(sink)))
    assert status == 200
    [warning] = problems(caplog)
    assert warning.getMessage().startswith("ignored a request no listener takes: ")
    assert sink.count == 0


async def test_another_apps_command_is_acked_with_one_line(
    door: Door, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """A command other than /qrinfo (a stale manifest): 200, one WARNING, nothing posted."""
    body = slash_command_body("x", response_url=sink.url(), command="/other").encode()
    status, _ = await door.signed(body)
    assert status == 200
    assert [r.getMessage() for r in problems(caplog)] == [
        "ignored a request no listener takes: /other"
    ]


@pytest.mark.parametrize(
    "channel_name",
    ["payload-ops", "payload"],
)
async def test_a_command_that_mentions_payload_is_still_a_command(
    door: Door, sink: ResponseSink, channel_name: str
) -> None:
    """The word 'payload' in a channel name or the text does not turn a command into nothing."""
    body = slash_command_body(SEED_TEXT, response_url=sink.url()).replace(
        "channel_name=qr-support", f"channel_name={channel_name}"
    )
    status, _ = await door.signed(body.encode())
    assert status == 200
    assert (await sink.next(WAIT)).payload["text"].startswith("测试商户")


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (
            {"type": "view_submission", "user": {"id": "U1"}, "response_urls": 5,
             "view": {"type": "modal", "callback_id": FORM_CALLBACK}},
            FORM,
        ),
        (
            {"type": "view_submission", "user": {"id": "U1"},
             "view": {"callback_id": FORM_CALLBACK, "state": None}},
            FORM,
        ),
        (
            {"type": "view_submission", "user": {"id": "U1"},
             "view": {"type": "workflow_step", "callback_id": FORM_CALLBACK}},
            FORM,
        ),
        (
            {"type": "view_submission", "user": {"id": "U1"},
             "view": {"type": "modal", "callback_id": FORM_CALLBACK,
                      "app_installed_team_id": ["T0QRINFO01"]}},
            FORM,
        ),
        (
            {"type": "block_actions", "user": {"id": "U1"}, "event": None,
             "actions": [{"action_id": REFRESH_ACTION, "value": "{}"}]},
            FORM,
        ),
        (
            {"type": "block_actions", "user": {"id": "U1", "team_id": ["T1"]},
             "actions": [{"action_id": REFRESH_ACTION, "value": "{}"}]},
            FORM,
        ),
    ],
    ids=["response-urls-5", "view-without-type", "workflow-step-view", "team-id-list",
         "event-null", "user-team-id-list"],
)  # fmt: skip
async def test_a_signed_payload_bolt_would_trip_on_is_acked_with_one_warning(
    door: Door, caplog: pytest.LogCaptureFixture, payload: dict[str, Any], content_type: str
) -> None:
    """Shapes that made Bolt raise (a 500 or an 'unexpected error'): 200 and one WARNING."""
    status, _ = await door.signed(interaction(payload), content_type)
    assert status == 200
    assert [r.levelno for r in problems(caplog)] == [logging.WARNING]


@pytest.mark.parametrize(
    "body",
    [b"payload=" + b"%5B" * 50_000 + b"%5D" * 50_000, b"payload=%7B%7D&payload=null"],
    ids=["nested-50000-deep", "two-payload-fields"],
)
async def test_a_signed_body_built_to_trip_the_parser_is_acked_with_one_warning(
    door: Door, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    """Deep nesting and a repeated field: 200 and one WARNING, never a RecursionError or a 500."""
    status, _ = await door.signed(body)
    assert status == 200
    assert [r.levelno for r in problems(caplog)] == [logging.WARNING]


async def test_a_json_command_with_a_number_for_text_is_acked_with_one_warning(
    door: Door, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """text=123 in a JSON body: refused as not Slack's (commands are forms), no apology card."""
    body = json.dumps(
        {"command": "/qrinfo", "text": 123, "user_id": "U1", "team_id": "T1",
         "response_url": sink.url()}
    ).encode()  # fmt: skip
    status, _ = await door.signed(body, "application/json")
    assert status == 200
    assert [r.levelno for r in problems(caplog)] == [logging.WARNING]


@pytest.mark.parametrize(
    "headers",
    [{"Content-Encoding": "gzip"}, {"Content-Encoding": "deflate"}],
    ids=["gzip", "deflate"],
)
async def test_a_compressed_body_is_refused_like_an_unsigned_one(
    door: Door, sink: ResponseSink, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    """Slack sends no compressed bodies: 401, empty, one WARNING, never a 500 and a traceback."""
    status, text = await door.post(b"notgzip", headers)
    assert (status, text) == (401, "")
    assert [r.getMessage() for r in problems(caplog)] == [
        "refused a request to /slack/events: a compressed body (Slack sends none)"
    ]


async def raw_http(url: str, request: bytes) -> bytes:
    """Send *request* bytes as they are over a fresh connection; whatever comes back."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n",
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
    ],
    ids=["nul-in-a-header", "folded-header", "body-shorter-than-announced"],
)
async def test_malformed_http_leaves_no_error_and_no_traceback_in_the_log(
    door: Door, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    """Bytes anyone can send to the port: refused, and never an ERROR line with a traceback."""
    answer = await raw_http(door.url, request_bytes)
    assert not answer.startswith(b"HTTP/1.1 200")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_a_body_that_never_finishes_arriving_is_refused_and_holds_nothing(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Content-Length 1000, three bytes sent, the connection kept open: 401 after the wait."""
    async with served(make_app(), body_seconds=0.2) as (url, _):
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), WAIT)
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 401")
    assert [r.getMessage() for r in problems(caplog)] == [
        "refused a request to /slack/events: a body that did not arrive in time"
    ]


async def test_a_body_that_came_with_its_headers_is_read_without_a_timer(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Nothing left to wait for, so nothing is timed; a body still on its way is timed."""
    waits: list[float | None] = []

    async def handler(request: web.Request) -> web.Response:
        waits.append(front_door.body_wait(request, 10.0))
        return web.Response()

    app = web.Application()
    app.router.add_post("/", handler)
    body = slash_command_body("help", response_url=sink.url()).encode()
    async with TestServer(app, host="127.0.0.1", port=0) as server:
        head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        for parts in ([head + body], [head + body[:10], body[10:]]):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            for part in parts:  # all at once; or the body's end a moment after
                writer.write(part)
                await writer.drain()
                await asyncio.sleep(0.05)
            await asyncio.wait_for(reader.readline(), WAIT)
            writer.close()
    assert waits == [None, 10.0]
