"""The pieces every card is made of: money, badges, the footer, the Refresh and Raw reply
buttons; and a Card sends its blocks as they are."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.i18n import ENGLISH
from bot.i18n.catalogue import translator
from bot.slack.cards.block_kit import mrkdwn, section
from bot.slack.cards.blocks import (
    ACTIONS_BLOCK,
    FIELD_CHARS,
    RAW_REPLY_ACTION,
    REFRESH_ACTION,
    Card,
    CardContext,
    badge,
    context_block,
    field_text,
    money,
    quantity_text,
    raw_reply_button,
    retry_actions,
)

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
CTX = CardContext(env="sandbox", tr=ENGLISH, msg_id="qri0123", answered_at=NOW)


def footer(ctx: CardContext) -> str:
    return " | ".join(e["text"] for e in context_block(ctx)["elements"])


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "¥0.00"),
        (2, "¥0.02"),
        (100, "¥1.00"),
        (599900, "¥5,999.00"),
        (123456789, "¥1,234,567.89"),
    ],
)
def test_money_is_yuan_with_two_decimals(fen: int, shown: str) -> None:
    """Fen become yuan with the ¥ sign, two decimals and thousands separators."""
    assert money(fen) == shown


@pytest.mark.parametrize(
    ("value", "shown"), [(Decimal("2"), "2"), (Decimal("2.000"), "2"), (Decimal("1.5"), "1.5")]
)
def test_a_whole_quantity_loses_its_trailing_zeros(value: Decimal, shown: str) -> None:
    assert quantity_text(value) == shown


def test_each_environment_has_its_own_badge_in_each_language() -> None:
    """Sandbox, test and prod are told apart at a glance, in English and Chinese."""
    assert [badge(env, ENGLISH) for env in ("sandbox", "test", "prod")] == [
        ":test_tube: *SANDBOX*",
        ":construction: *TEST*",
        ":large_green_circle: *PROD*",
    ]
    assert badge("sandbox", translator("zh")) == ":test_tube: *沙箱*"


def test_the_footer_names_the_gateway_the_msg_id_and_how_long_the_call_took() -> None:
    said = footer(replace(CTX, duration_ms=1234.4))
    assert said.startswith(":test_tube: *SANDBOX* | msgId `qri0123` | looked up <!date^")
    assert said.endswith(" in 1,234 ms")


def test_a_reused_answer_says_its_age_and_not_a_duration() -> None:
    said = footer(replace(CTX, duration_ms=50.0, age_s=4.4))
    assert "looked up 4 s ago (<!date^" in said
    assert "50 ms" not in said


def test_a_shared_card_credits_its_sharer_and_a_refreshed_one_who_refreshed_it() -> None:
    """shared by <@U…> on a card put in the channel; refreshed … by <@U…> once refreshed."""
    assert footer(replace(CTX, shared_by="U0SHARER")).endswith("shared by <@U0SHARER>")
    refreshed = footer(replace(CTX, shared_by="U0SHARER", refreshed=True))
    assert "refreshed <!date^" in refreshed
    assert refreshed.endswith(" by <@U0SHARER>")
    assert "shared by" not in refreshed


def test_a_footer_without_a_msg_id_leaves_it_out() -> None:
    assert "msgId" not in footer(replace(CTX, msg_id=None))


def test_retry_actions_carry_the_value_and_raw_reply_only_for_an_operator_with_a_msg_id() -> None:
    """Refresh with the lookup; Raw reply with the msgId when the card has one for an operator."""
    assert retry_actions(None, CTX) == []
    [plain] = retry_actions("v", CTX)
    assert plain["block_id"] == ACTIONS_BLOCK
    assert [(e["action_id"], e["value"]) for e in plain["elements"]] == [(REFRESH_ACTION, "v")]
    [operator] = retry_actions("v", replace(CTX, raw_reply=True))
    assert [e["action_id"] for e in operator["elements"]] == [REFRESH_ACTION, RAW_REPLY_ACTION]
    assert raw_reply_button(replace(CTX, raw_reply=True, msg_id=None)) == []
    [raw] = raw_reply_button(replace(CTX, raw_reply=True, msg_id="m" * 300))
    assert raw["value"] == "m" * 100


def test_a_field_is_left_out_when_empty_and_clipped_and_escaped_when_long() -> None:
    assert field_text("Terminal", None) is None
    assert field_text("Terminal", "") is None
    shown = field_text("Terminal", "<" * 5000, code=True)
    assert shown is not None
    assert shown["text"].startswith("*Terminal*\n`&lt;")
    assert len(shown["text"]) <= FIELD_CHARS


def test_a_card_sends_its_blocks_as_they_are_in_a_list_of_its_own() -> None:
    """block_dicts() is the blocks themselves (already JSON), in a new list."""
    blocks = [section(mrkdwn("x")), context_block(CTX)]
    card = Card(text="t", blocks=blocks)
    assert card.block_dicts() == blocks
    assert card.block_dicts() is not card.blocks
