"""Sending a card to a response_url: its status checked (Bolt's respond() does not raise),
a failure returned and said, never raised; anything unexpected apologised for once."""

from __future__ import annotations

import asyncio
import logging

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.i18n import ENGLISH
from bot.kit.sink import ResponseSink
from bot.slack.cards.block_kit import mrkdwn, section
from bot.slack.cards.blocks import Card
from bot.slack.webapi.replies import (
    delete_original,
    report_unexpected,
    send_card,
    unexpected_errors_reported,
)
from tests.slack.helpers import WAIT

CARD = Card(text="fallback", blocks=[section(mrkdwn("*hi*"))])


async def test_a_card_is_posted_with_its_fallback_blocks_and_kind(sink: ResponseSink) -> None:
    sent = await send_card(
        AsyncRespond(response_url=sink.url()), CARD, response_type="in_channel",
        replace_original=True,
    )  # fmt: skip
    assert (sent.ok, sent.detail) == (True, None)
    posted = (await sink.next(WAIT)).payload
    assert posted == {
        "text": "fallback",
        "blocks": CARD.block_dicts(),
        "response_type": "in_channel",
        "replace_original": True,
    }


async def test_a_refused_reply_is_returned_with_slacks_words_and_logged_with_the_msg_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with ResponseSink(status=404) as refusing:
        with caplog.at_level(logging.WARNING):
            sent = await send_card(AsyncRespond(response_url=refusing.url()), CARD, msg_id="qri7")
    assert not sent.ok
    assert str(sent.detail) == "Slack answered HTTP 404: expired_url"
    assert "reply refused by Slack msgId=qri7 status=404" in caplog.text


async def test_a_response_url_nobody_answers_is_a_failed_send_not_an_exception() -> None:
    async with ResponseSink() as gone:
        url = gone.url()
    sent = await send_card(AsyncRespond(response_url=url), CARD)
    assert not sent.ok
    assert str(sent.detail).startswith("Slack could not be reached (")


async def test_delete_original_asks_slack_to_remove_the_clicked_message(sink: ResponseSink) -> None:
    assert (await delete_original(AsyncRespond(response_url=sink.url()))).ok
    assert (await sink.next(WAIT)).payload == {"text": "", "delete_original": True}


async def test_an_unexpected_error_is_logged_with_a_reference_and_apologised_for(
    sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        reference = await report_unexpected(
            ValueError("boom"), AsyncRespond(response_url=sink.url()), lambda: ENGLISH
        )
    assert reference.startswith("err-")
    assert len(reference) == 16
    assert f"unexpected error {reference}" in caplog.text
    assert "ValueError: boom" in caplog.text  # the traceback
    assert reference in str((await sink.next(WAIT)).payload)


async def test_without_a_response_url_the_error_is_only_logged(sink: ResponseSink) -> None:
    assert (await report_unexpected(ValueError("x"), None, lambda: ENGLISH)).startswith("err-")
    await report_unexpected(ValueError("x"), AsyncRespond(response_url=None), lambda: ENGLISH)
    assert sink.count == 0


async def test_a_listeners_work_never_raises_what_went_wrong(sink: ResponseSink) -> None:
    async with unexpected_errors_reported(AsyncRespond(response_url=sink.url()), lambda: ENGLISH):
        raise RuntimeError("in the work")
    assert "something went wrong" in str((await sink.next(WAIT)).payload)


async def test_a_cancellation_is_not_reported_but_goes_on_its_way(sink: ResponseSink) -> None:
    """A stop cancelling the work is not an error to apologise for."""
    with pytest.raises(asyncio.CancelledError):
        async with unexpected_errors_reported(
            AsyncRespond(response_url=sink.url()), lambda: ENGLISH
        ):
            raise asyncio.CancelledError
    assert sink.count == 0


async def test_work_that_ends_well_is_not_reported(sink: ResponseSink) -> None:
    async with unexpected_errors_reported(AsyncRespond(response_url=sink.url()), lambda: ENGLISH):
        pass
    assert sink.count == 0
