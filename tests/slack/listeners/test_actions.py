"""The card's buttons: Open QR code is acked and nothing more; Refresh, Share, Details and
Show QR code each read their lookup as the clicker; Raw reply is for operators only."""

from __future__ import annotations

import pytest

from bot.kit.simulate import interaction_body, signed_request
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.cards.batch import DETAILS_ACTION
from bot.slack.cards.blocks import RAW_REPLY_ACTION, REFRESH_ACTION
from bot.slack.cards.card import OPEN_QR_ACTION, SHARE_ACTION, SHOW_QR_ACTION
from bot.slack.reading.button import encode_button_value
from tests.slack.helpers import SEED, SIGNING_SECRET, AppFactory, all_text, click
from tests.slack.payloads import button_click


async def test_open_qr_code_is_acked_and_nothing_is_posted(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    payload = button_click(OPEN_QR_ACTION, "", response_url=sink.url())
    response = await make_app().async_dispatch(
        signed_request(interaction_body(payload), SIGNING_SECRET)
    )
    assert (response.status, response.body) == (200, "")
    await make_app.settled()
    assert (sink.count, sandbox.query_requests) == (0, 0)


@pytest.mark.parametrize("action", [REFRESH_ACTION, SHARE_ACTION, DETAILS_ACTION, SHOW_QR_ACTION])
async def test_every_button_that_looks_up_again_refuses_a_tampered_value(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, action: str
) -> None:
    """Each is registered, reads its value as the clicker's input, and asks nothing."""
    said = all_text(await click(make_app(), sink, action, '{"mid": "x"'))
    assert "That button's data is not readable." in said
    assert sandbox.query_requests == 0


async def test_details_posts_the_full_card_beside_the_clicked_one(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    card = await click(make_app(), sink, DETAILS_ACTION, encode_button_value(SEED))
    assert card["replace_original"] is False
    assert "in 12 instalments" in all_text(card)


async def test_raw_reply_is_refused_to_someone_who_is_not_an_operator(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    card = await click(make_app(), sink, RAW_REPLY_ACTION, "qri0001")
    assert "Only the bot's operators can see this" in all_text(card)
    assert card["replace_original"] is False
