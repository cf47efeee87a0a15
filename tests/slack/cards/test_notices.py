"""What the bot says that is neither a code nor the gateway's failure: input rejected, a
gateway not connected, a refusal, and what went wrong around a card."""

from __future__ import annotations

import json

import pytest

from bot.i18n import ENGLISH, T
from bot.i18n.catalogue import translator
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.slack.cards.blocks import Card
from bot.slack.cards.notices import (
    input_error_card,
    qr_not_drawn_card,
    qr_not_sent_card,
    refused_card,
    settings_list,
    share_failed_card,
    unconfigured_card,
    unexpected_error_card,
    unreadable_request_card,
)
from tests.slack.blockkit import limit_problems, payload

HOSTILE = "<!channel> & <@U123> <https://evil.example|click me> *bold*"


def said(card: Card) -> str:
    return json.dumps(payload(card), ensure_ascii=False)


def test_notice_cards_are_valid_and_say_what_to_do() -> None:
    """Every notice passes the limits, has a fallback and says the essential, harmlessly."""
    cards = {
        "input": (input_error_card(T("{x}", x=HOSTILE), "test", ENGLISH), "for example"),
        "unexpected": (unexpected_error_card("err-abc", ENGLISH), "err-abc"),
        "not-drawn": (qr_not_drawn_card(True, ENGLISH), "not an https URL"),
        "no-url": (qr_not_drawn_card(False, ENGLISH), "no QR URL"),
        "not-sent": (qr_not_sent_card(HOSTILE, ENGLISH), "files:write and im:write"),
        "no-answer": (qr_not_sent_card(None, ENGLISH), "try again in a moment"),
        "share": (share_failed_card(HOSTILE, ENGLISH), "Your card is unchanged"),
        "unreadable": (unreadable_request_card(HOSTILE, ENGLISH), "Nothing was looked up"),
    }
    for name, (card, says) in cards.items():
        assert limit_problems(card) == [], name
        assert card.text, name
        assert says in said(card), name
        assert "<!channel>" not in said(card), name


def test_input_error_says_nothing_was_sent_to_the_named_gateway() -> None:
    card = input_error_card(T("`x` is not a QR code id."), "prod", ENGLISH)
    assert card.text == "Cannot look that up: `x` is not a QR code id."
    assert ":large_green_circle: *PROD*  ·  nothing was sent to the gateway" in said(card)


@pytest.mark.parametrize(
    ("refusal", "says"),
    [
        (Refusal("user-rate", limit=1, wait=0.2), "You have made 1 lookup in the last minute. "
         "Try again in 1 s."),
        (Refusal("user-rate", limit=30, wait=59.5), "You have made 30 lookups in the last minute. "
         "Try again in 60 s."),
        (Refusal("workspace-rate", limit=300, wait=2.0), "This workspace has made 300 lookups"),
        (Refusal("access"), "not allowed to look up QR codes here; ask the bot's operator."),
    ],
    ids=["one", "many", "workspace", "access"],
)  # fmt: skip
def test_a_refusal_says_why_and_when_to_retry(refusal: Refusal, says: str) -> None:
    card = refused_card(refusal, "sandbox", ENGLISH)
    assert says in said(card)
    assert not card.text.startswith(":")  # the fallback loses the emoji


def test_the_access_hint_links_a_channel_and_escapes_text() -> None:
    """A channel id becomes a channel link; any other hint is shown as harmless text."""
    assert "ask in <#C0HELP0001>." in said(refused_card(Refusal("access"), "test", ENGLISH,
                                                          hint="C0HELP0001"))  # fmt: skip
    text = said(refused_card(Refusal("access"), "test", ENGLISH, hint="<!here> #help"))
    assert "ask in &lt;!here&gt; #help." in text


def test_a_gateway_not_connected_names_the_settings_that_connect_it() -> None:
    missing = MissingGateway("prod", ("CHINAUMS_PROD_APP_ID", "CHINAUMS_PROD_APP_KEY"))
    card = unconfigured_card(missing, ENGLISH)
    assert card.text == "This bot is not connected to production."
    assert "`CHINAUMS_PROD_APP_ID` and `CHINAUMS_PROD_APP_KEY`" in said(card)


def test_a_card_from_a_sandbox_no_longer_used_says_just_that() -> None:
    card = unconfigured_card(MissingGateway("sandbox", ()), ENGLISH)
    assert "which this bot no longer uses" in said(card)
    assert "connect it with" not in said(card)


def test_settings_are_joined_with_and_for_two_and_commas_otherwise() -> None:
    assert settings_list(("A", "B"), ENGLISH) == "`A` and `B`"
    assert settings_list(("A", "B", "C"), ENGLISH) == "`A`, `B`, `C`"
    assert settings_list(("A", "B"), translator("zh")) != "`A` and `B`"


def test_a_share_failure_takes_our_words_translated_or_slacks_as_they_are() -> None:
    ours = share_failed_card(T("Slack did not take it."), translator("zh"))
    theirs = share_failed_card("channel_not_found", ENGLISH)
    assert "channel_not_found" in said(theirs)
    assert "Slack did not take it." not in said(ours)  # said in Chinese
