"""A lookup's outcome -> its card: which card for which outcome, and what the buttons carry
(Share only where the card can be shared, Raw reply only on an operator's own card)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.gateway.errors import GatewayRejected, InvalidInput, QrInfoError
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import ENGLISH
from bot.service.answer import Answer
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.service.lookup import Outcome
from bot.slack.cards.blocks import RAW_REPLY_ACTION, REFRESH_ACTION, Card
from bot.slack.cards.card import SHARE_ACTION
from bot.slack.cards.outcome import outcome_card
from bot.slack.reading.button import decode_button_value
from tests.gateway.helpers import SEED_REPLY
from tests.slack.blockkit import limit_problems, payload

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
REF = QrCodeRef("898340149000005", "31942002268195125132885377", env="sandbox")


def answered(result: QrCodeInfo | QrInfoError, **more: Any) -> Outcome:
    return Outcome(REF, answer=Answer("qri0001", result, NOW - timedelta(seconds=3), 8.0), **more)


FOUND = answered(QrCodeInfo.model_validate(SEED_REPLY))


def buttons(card: Card) -> dict[str, str]:
    return {
        e["action_id"]: e.get("value", "")
        for b in payload(card)["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def said(card: Card) -> str:
    return json.dumps(payload(card), ensure_ascii=False)


def test_a_found_code_gets_its_card_with_buttons_carrying_the_lookup() -> None:
    card = outcome_card(FOUND, tr=ENGLISH, now=NOW)
    assert limit_problems(card) == []
    assert decode_button_value(buttons(card)[REFRESH_ACTION]) == REF
    assert SHARE_ACTION in buttons(card)
    assert RAW_REPLY_ACTION not in buttons(card)


def test_a_shared_card_names_its_sharer_and_has_no_share_button() -> None:
    card = outcome_card(FOUND, tr=ENGLISH, now=NOW, shared_by="U0SHARER", operator=True)
    assert "shared by <@U0SHARER>" in said(card)
    assert SHARE_ACTION not in buttons(card)
    assert RAW_REPLY_ACTION not in buttons(card)  # never on a card for the whole channel


def test_a_card_that_cannot_be_shared_has_no_share_button() -> None:
    assert SHARE_ACTION not in buttons(outcome_card(FOUND, tr=ENGLISH, now=NOW, shareable=False))


def test_an_operators_own_card_has_raw_reply_with_the_msg_id() -> None:
    card = outcome_card(FOUND, tr=ENGLISH, now=NOW, operator=True)
    assert buttons(card)[RAW_REPLY_ACTION] == "qri0001"


def test_a_reused_answer_says_how_old_it_is() -> None:
    card = outcome_card(answered(FOUND.answer.result, reused=True), tr=ENGLISH, now=NOW)  # type: ignore[union-attr]
    assert "looked up 3 s ago" in said(card)


def test_a_rejection_gets_its_card_with_a_retry_carrying_the_lookup() -> None:
    card = outcome_card(
        answered(GatewayRejected(code="NO_BILL", message=None, msg_id="m")), tr=ENGLISH, now=NOW
    )
    assert "*NO_BILL*" in said(card)
    assert decode_button_value(buttons(card)[REFRESH_ACTION]) == REF


def test_invalid_input_the_client_caught_is_the_input_error_card() -> None:
    error = InvalidInput(field="mid", expected="a merchant number", example="898340149000005")
    card = outcome_card(answered(error), tr=ENGLISH, now=NOW)
    assert "Expected a merchant number, for example 898340149000005." in said(card)
    assert "nothing was sent to the gateway" in said(card)


def test_a_refusal_and_a_missing_gateway_get_their_notices() -> None:
    refused = outcome_card(Outcome(REF, refusal=Refusal("access")), tr=ENGLISH, now=NOW,
                           hint="C0HELP0001")  # fmt: skip
    assert "ask in <#C0HELP0001>" in said(refused)
    missing = Outcome(REF, missing=MissingGateway("test", ("A", "B")))
    assert "not connected to" in said(outcome_card(missing, tr=ENGLISH, now=NOW))
