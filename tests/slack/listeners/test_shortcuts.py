"""The lookup form's shortcuts and submission, as their steps: the message's text scanned
(bounded), the form pre-filled from it or with a note, errors placed by field, and a form
Slack will not open logged, not raised."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import ENGLISH, T
from bot.i18n.catalogue import translator
from bot.slack.cards.views import MID_BLOCK, QR_BLOCK
from bot.slack.listeners.shortcuts import (
    _empty_form,
    _inline,
    _prefilled_form,
    open_view,
)
from bot.slack.reading.form import FormErrors
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import web_client

MID = "898340149000005"
URL = "https://qr.95516.com/48020000/31942002268195125132885377"


def test_the_message_shortcut_prefills_what_the_message_shows() -> None:
    view = _prefilled_form({"message": {"text": f"商户号：{MID} {URL}"}}, ENGLISH)
    values = [b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"]
    assert values == [MID, URL]
    assert view["blocks"][0]["type"] == "input"  # no note


def test_a_message_without_a_qr_code_gets_the_form_with_a_note() -> None:
    view = _prefilled_form({"message": {"text": "hello"}}, ENGLISH)
    assert view["blocks"][0]["elements"][0]["text"].startswith("No QR code URL found")
    assert _empty_form({}, ENGLISH)["blocks"][0]["type"] == "input"


def test_form_errors_go_under_their_input_blocks_in_the_readers_language() -> None:
    one = T("Expected one merchant number, for example {example}.", example=MID)
    errors = FormErrors({"mid": one, "qrCodeId": T("That button's data is not readable.")})
    assert _inline(errors, ENGLISH) == {
        MID_BLOCK: f"Expected one merchant number, for example {MID}.",
        QR_BLOCK: "That button's data is not readable.",
    }
    assert _inline(errors, translator("zh"))[MID_BLOCK] != _inline(errors, ENGLISH)[MID_BLOCK]


async def test_a_form_slack_will_not_open_is_logged_not_raised(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.errors["views.open"] = "expired_trigger_id"
    with caplog.at_level(logging.WARNING):
        await open_view(web_client(slack_api), "1.2.trigger", _empty_form({}, ENGLISH))
    assert "could not open the lookup form: expired_trigger_id" in caplog.text
    [call] = slack_api.of("views.open")
    assert call["trigger_id"] == "1.2.trigger"
