"""The app itself: the signature checked before anything reads a request, requests no
listener takes acknowledged quietly, an authorize that answers from memory, and Bolt's
expected notice about the token kept out of the logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from slack_bolt.logger.messages import warning_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.kit.simulate import signed_headers, signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.slack.listeners.app import (
    VERIFIED,
    SignatureCheck,
    _bolt_logger,
    _what,
    fixed_authorize,
)
from tests.slack.helpers import SIGNING_SECRET, TEST_AUTHORIZATION, AppFactory

BODY = "token=x&command=%2Fqrinfo&text=help"
NOW = 1_800_000_000


def request(headers: dict[str, str], *, mode: str = "http") -> AsyncBoltRequest:
    return AsyncBoltRequest(body=BODY, headers=dict(headers), mode=mode)


async def check(
    middleware: SignatureCheck, req: AsyncBoltRequest
) -> tuple[BoltResponse, list[bool]]:
    """Run the middleware on *req*: its response, and whether it went on to the next step."""
    went_on: list[bool] = []

    async def next_step() -> BoltResponse:
        went_on.append(True)
        return BoltResponse(status=200, body="next")

    next_: Callable[[], Awaitable[BoltResponse]] = next_step
    response = await middleware.async_process(req=req, resp=BoltResponse(status=200), next=next_)
    return response, went_on


async def test_a_signed_request_is_marked_verified_and_passed_on() -> None:
    req = request(signed_headers(BODY, SIGNING_SECRET, timestamp=NOW))
    response, went_on = await check(SignatureCheck(SIGNING_SECRET, now=lambda: NOW), req)
    assert (response.body, went_on) == ("next", [True])
    assert req.context[VERIFIED] is True


@pytest.mark.parametrize(
    "headers",
    [
        signed_headers(BODY, "another-secret", timestamp=NOW),
        signed_headers(BODY, SIGNING_SECRET, timestamp=NOW - 3600),
        {"x-slack-request-timestamp": "soon", "x-slack-signature": "v0=00"},
        {},
    ],
    ids=["wrong-secret", "an-hour-old", "non-numeric-timestamp", "unsigned"],
)
async def test_a_request_not_from_slack_is_a_bare_401_and_goes_no_further(
    headers: dict[str, str],
) -> None:
    req = request(headers)
    response, went_on = await check(SignatureCheck(SIGNING_SECRET, now=lambda: NOW), req)
    assert (response.status, response.body, went_on) == (401, "", [])
    assert VERIFIED not in req.context


async def test_without_a_secret_nothing_over_http_is_taken() -> None:
    req = request(signed_headers(BODY, SIGNING_SECRET, timestamp=NOW))
    response, went_on = await check(SignatureCheck(None, now=lambda: NOW), req)
    assert (response.status, went_on) == (401, [])


async def test_the_socket_is_authenticated_by_its_token_not_a_signature() -> None:
    req = request({}, mode="socket_mode")
    _, went_on = await check(SignatureCheck(None), req)
    assert went_on == [True]
    assert req.context[VERIFIED] is True


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"type": "block_actions", "actions": [{"action_id": "old_button"}]},
         "block_actions old_button"),
        ({"command": "/other"}, "/other"),
        ({"type": "view_submission", "view": {"callback_id": "f" * 100}},
         "view_submission " + "f" * 60),
        ({"type": 5, "actions": "x", "view": []}, "an unnamed request"),
    ],
    ids=["action", "command", "view-clipped", "nothing-usable"],
)  # fmt: skip
def test_a_request_is_named_by_a_few_words_never_more(body: dict[str, Any], named: str) -> None:
    assert _what(body) == named


async def test_the_fixed_authorize_answers_from_memory() -> None:
    assert await fixed_authorize(TEST_AUTHORIZATION)() is TEST_AUTHORIZATION


def test_bolts_notice_that_the_token_is_skipped_is_filtered_once() -> None:
    logger = _bolt_logger()
    _bolt_logger()
    assert len(logger.filters) == 1
    skipped = logging.LogRecord("bolt", logging.WARNING, "", 0, warning_token_skipped(), (), None)
    other = logging.LogRecord("bolt", logging.WARNING, "", 0, "something else", (), None)
    assert (logger.filter(skipped), bool(logger.filter(other))) == (False, True)


async def test_a_verified_request_no_listener_takes_is_acknowledged_quietly(
    make_app: AppFactory, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """Another app's command: a 200 with an empty body, one line, nothing posted."""
    body = slash_command_body("x", response_url=sink.url(), command="/other")
    response = await make_app().async_dispatch(signed_request(body, SIGNING_SECRET))
    assert (response.status, response.body) == (200, "")
    assert "ignored a request no listener takes: /other" in caplog.text
    assert sink.count == 0


async def test_an_unverified_request_gets_no_reply_at_its_response_url(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    body = slash_command_body("help", response_url=sink.url())
    response = await make_app().async_dispatch(
        signed_request(body, "not-the-secret", timestamp=int(time.time()))
    )
    assert response.status == 401
    await make_app.settled()
    assert sink.count == 0
