"""The help card: every way in (the command's forms, the shortcuts, the buttons) and which
gateways the bot talks to."""

from __future__ import annotations

import json

from bot.i18n import ENGLISH
from bot.i18n.catalogue import translator
from bot.slack.cards.blocks import Card
from bot.slack.cards.usage import usage, usage_card
from tests.slack.blockkit import limit_problems, payload


def payload_text(card: Card) -> str:
    return json.dumps(payload(card), ensure_ascii=False)


def test_the_usage_card_is_valid_and_shows_an_example() -> None:
    card = usage_card(["prod"], ENGLISH)
    assert limit_problems(card) == []
    assert card.text == "Usage: /qrinfo 898340149000005 31942002268195125132885377"
    assert "/qrinfo 898340149000005" in payload_text(card)


def test_help_lists_the_forms_the_shortcuts_the_buttons_and_the_environment() -> None:
    """The usage card covers every way in, every button, and which gateway is connected."""
    said = payload_text(usage_card(["test"], ENGLISH))
    for expected in (
        "/qrinfo &lt;merchant no.&gt; &lt;QR code id or URL&gt;",
        "/qrinfo 898340149000005 31942002268195125132885377",
        "https://qr.95516.com/48020000/",
        "qrCode.do?id=",
        "Look up a QR code",
        "Look up this QR code",
        "Open QR code",
        "Show QR code",
        "Refresh",
        "Share in channel",
        "the provider's test gateway",
        "TEST",
    ):
        assert expected in said, expected


def test_the_footer_names_the_default_gateway_first_then_each_other() -> None:
    [footer] = [b for b in payload(usage_card(["prod", "test"], ENGLISH))["blocks"]
                if b["type"] == "context"]  # fmt: skip
    assert footer["elements"][0]["text"] == (
        ":large_green_circle: *PROD*  ·  connected to the production gateway\n"
        ":construction: *TEST*  ·  and to the provider's test gateway"
    )


def test_the_commands_shape_is_escaped_in_the_readers_language() -> None:
    assert usage(ENGLISH) == "/qrinfo &lt;merchant no.&gt; &lt;QR code id or URL&gt;"
    assert "&lt;" in usage(translator("zh"))
    assert usage(translator("zh")) != usage(ENGLISH)
