"""The cards for a lookup the gateway did not answer with a code: said no, gave no usable
answer (paused, busy, not answering), or cannot be queried; each with Retry when given."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    TokenLimitReached,
)
from bot.i18n import ENGLISH
from bot.slack.cards.blocks import REFRESH_ACTION, Card, CardContext
from bot.slack.cards.gateway_errors import auth_error_card, rejected_card, unavailable_card
from tests.slack.blockkit import limit_problems, payload

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
CTX = CardContext(env="sandbox", tr=ENGLISH, msg_id="qri0123", answered_at=NOW, duration_ms=42.0)
HOSTILE = "<!channel> & <@U123> <https://evil.example|click me> *bold*"


def said(card: Card) -> str:
    return json.dumps(payload(card), ensure_ascii=False)


def refresh_values(card: Card) -> list[str]:
    return [
        e["value"]
        for b in payload(card)["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == REFRESH_ACTION
    ]


def test_error_cards_are_valid_and_say_what_to_do() -> None:
    """Every gateway error card passes the limits, has a fallback and says the essential."""
    rejected = rejected_card(GatewayRejected(code="NO_BILL", message=HOSTILE, msg_id="m"), CTX)
    unavailable = unavailable_card(
        GatewayUnavailable(reason="HTTP 502", attempts=3, elapsed=7.9, msg_id="m"), CTX
    )
    auth = auth_error_card(
        GatewayAuthError(code="1002", message="bad", http_status=412, msg_id="m"), CTX
    )
    cards = {
        "rejected": (rejected, "What to do"),
        "unavailable": (unavailable, "3 attempts in 7.9 s"),
        "auth": (auth, "tell the bot's operator"),
    }
    for name, (card, says) in cards.items():
        assert limit_problems(card) == [], name
        assert card.text, name
        assert says in said(card), name
        assert "<!channel>" not in said(card), name
    assert "1002" not in said(auth)


def test_the_token_limit_card_says_what_it_is_not_a_misconfiguration() -> None:
    """At the token cap the card names the cause (tokens held elsewhere), not 'configuration'."""
    error = TokenLimitReached(
        code="1006", gateway_message="AccessToken数量超过上限", http_status=412
    )
    said = json.dumps(auth_error_card(error, CTX).block_dicts(), ensure_ascii=False)
    assert "as many access tokens as the provider allows" in said
    assert "configuration problem" not in said


def test_a_rejection_shows_the_code_its_meaning_and_the_gateways_own_words_escaped() -> None:
    card = rejected_card(GatewayRejected(code="NO_BILL", message=HOSTILE, msg_id="m"), CTX)
    text = payload(card)["blocks"][0]["text"]["text"]
    assert text.startswith(":no_entry: *NO_BILL*: ")
    assert "_Gateway said:_ &lt;!channel&gt; &amp;" in text
    assert card.text.startswith("Gateway answered NO_BILL: ")


def test_retry_is_offered_only_when_the_lookup_is_given() -> None:
    """Each error card gets a Refresh button carrying *retry*, and none without it."""
    errors = [
        rejected_card(GatewayRejected(code="NO_BILL", message=None, msg_id="m"), CTX, retry="v"),
        unavailable_card(GatewayBusy(limit=8, waited=0.0, msg_id=None), CTX, retry="v"),
        auth_error_card(
            GatewayAuthError(code="1002", message=None, http_status=412, msg_id="m"),
            CTX,
            retry="v",
        ),
    ]
    assert [refresh_values(card) for card in errors] == [["v"], ["v"], ["v"]]
    without = unavailable_card(GatewayBusy(limit=8, waited=0.0, msg_id=None), CTX)
    assert refresh_values(without) == []


def test_a_paused_gateway_says_since_when_and_for_how_long_still() -> None:
    since = datetime(2026, 11, 25, 3, 58, tzinfo=UTC)
    card = unavailable_card(
        GatewayBreakerOpen(failing_since=since, retry_in=29.6, msg_id=None), CTX
    )
    text = payload(card)["blocks"][0]["text"]["text"]
    assert text.startswith(":rotating_light: *The gateway has been failing since <!date^")
    assert "paused for 30 s" in text
    assert card.text == "The gateway keeps failing; lookups are paused for a moment."
    unknown = unavailable_card(GatewayBreakerOpen(failing_since=None, retry_in=5, msg_id=None), CTX)
    assert "*The gateway has been failing.*" in said(unknown)


def test_a_busy_gateway_says_the_lookup_was_not_sent() -> None:
    card = unavailable_card(GatewayBusy(limit=8, waited=1.0, msg_id=None), CTX)
    assert "this one was not sent" in said(card)
    assert "attempt" not in said(card)


def test_one_attempt_is_singular() -> None:
    error = GatewayUnavailable(reason="<timeout>", attempts=1, elapsed=10.04, msg_id=None)
    text = said(unavailable_card(error, CTX))
    assert "1 attempt in 10.0 s." in text
    assert "&lt;timeout&gt;" in text


def test_an_auth_error_quotes_the_msg_id_to_give_the_operator_when_there_is_one() -> None:
    with_id = GatewayAuthError(code="1002", message=None, http_status=412, msg_id="qri9")
    without = GatewayAuthError(code="1002", message=None, http_status=412, msg_id=None)
    assert "quote msgId `qri9`" in said(auth_error_card(with_id, CTX))
    assert "Please tell the bot's operator.\"" in said(auth_error_card(without, CTX))
