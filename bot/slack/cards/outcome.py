"""Pure: a lookup's outcome -> the card that shows it."""

from __future__ import annotations

from datetime import datetime

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
)
from bot.gateway.models import QrCodeInfo
from bot.i18n import Translator
from bot.service.lookup import Outcome
from bot.service.payment import Payment
from bot.slack.cards.blocks import Card, CardContext
from bot.slack.cards.card import CardButtons, qr_card
from bot.slack.cards.gateway_errors import auth_error_card, rejected_card, unavailable_card
from bot.slack.cards.notices import input_error_card, refused_card, unconfigured_card
from bot.slack.reading.button import encode_button_value
from bot.slack.reading.checked import expected


def outcome_card(
    outcome: Outcome,
    *,
    tr: Translator,
    now: datetime,
    hint: str = "",
    shared_by: str | None = None,
    refreshed: bool = False,
    shareable: bool = True,
    operator: bool = False,
) -> Card:
    """The card for *outcome*, in *tr*'s language. The buttons carry the lookup; *shared_by*
    (the verified clicker who put the card in the channel) is named on it, and then it has
    no Share button (nor has a card in a DM, not *shareable*). An *operator*'s own card has
    a Raw reply button. The badge names the gateway's environment."""
    if outcome.missing is not None:
        return unconfigured_card(outcome.missing, tr)
    answer = outcome.answer
    if outcome.refusal is not None or answer is None:
        assert outcome.refusal is not None  # noqa: S101  # an outcome has one or the other
        return refused_card(outcome.refusal, outcome.env, tr, hint=hint)
    context = CardContext(
        env=outcome.env,
        tr=tr,
        msg_id=answer.msg_id,
        answered_at=answer.answered_at,
        duration_ms=answer.duration_ms,
        age_s=(now - answer.answered_at).total_seconds() if outcome.reused else None,
        refreshed=refreshed,
        shared_by=shared_by,
        raw_reply=operator and shared_by is None,
    )
    value = encode_button_value(outcome.ref)
    buttons = CardButtons(value=value, shareable=shareable and shared_by is None)
    return _answer_card(answer.result, context, buttons, now=now, payment=answer.payment)


def _answer_card(
    result: QrCodeInfo | QrInfoError,
    context: CardContext,
    buttons: CardButtons,
    *,
    now: datetime,
    payment: Payment | None,
) -> Card:
    """The gateway's answer: the code with its buttons, or what went wrong, with a Retry
    button carrying the same lookup."""
    if isinstance(result, QrCodeInfo):
        return qr_card(result, context, now=now, buttons=buttons, payment=payment)
    if isinstance(result, GatewayRejected):
        return rejected_card(result, context, retry=buttons.value)
    if isinstance(result, GatewayUnavailable):
        return unavailable_card(result, context, retry=buttons.value)
    if isinstance(result, GatewayAuthError):
        return auth_error_card(result, context, retry=buttons.value)
    # InvalidInput: the parser checks first; this is the client's own guard.
    assert isinstance(result, InvalidInput)  # noqa: S101  # the last kind a lookup keeps
    return input_error_card(expected(result), context.env, context.tr)
