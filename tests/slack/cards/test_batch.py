"""The batch card: several codes' outcomes as one card, a line and a Details button each,
a summary, and notes on what the lines alone do not say; within Block Kit's limits."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.gateway.errors import GatewayRejected, GatewayUnavailable, QrInfoError
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import LANGUAGES, Language
from bot.i18n.catalogue import translator
from bot.service.answer import Answer
from bot.service.batch_limit import MAX_BATCH
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.service.lookup import Outcome
from bot.slack.cards.batch import batch_card
from bot.slack.cards.blocks import badge
from bot.slack.reading.button import decode_button_value
from tests.slack.blockkit import limit_problems, payload
from tests.slack.helpers import detail_buttons, line_of
from tests.strategies import any_reply

MID = "898340149000005"
FOUND = [f"BNCH{n:022}" for n in range(1, 18)]
MISSING = ["31940000000000000000000001", "31940000000000000000000002"]
NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
REF = QrCodeRef(MID, "31942002268195125132885377", env="prod")
EN = translator("en")


NO_BILL = GatewayRejected(code="NO_BILL", message="", msg_id=None)


def _outcome(kind: str, reply: dict[str, Any], n: int) -> Outcome:
    ref = QrCodeRef(MID, f"{n:026}", env="test" if n % 3 else "prod")
    result: QrCodeInfo | QrInfoError | None = None
    if kind == "found":
        result = QrCodeInfo.model_validate(reply)
    elif kind == "rejected":
        result = GatewayRejected(code="NO_BILL", message="<!channel>" * 100, msg_id=None)
    elif kind == "failed":
        result = GatewayUnavailable(reason="x", attempts=3, elapsed=8.0, msg_id=None)
    if result is not None:
        return Outcome(ref, answer=Answer(f"qri{n}", result, NOW, 12.0))
    if kind == "missing":
        return Outcome(
            ref, missing=MissingGateway("prod", ("CHINAUMS_PROD_APP_ID", "CHINAUMS_PROD_APP_KEY"))
        )
    return Outcome(ref, refusal=Refusal("user-rate", limit=30, wait=59.5))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    kinds=st.lists(
        st.sampled_from(["found", "rejected", "failed", "missing", "limited"]),
        min_size=2,
        max_size=MAX_BATCH,
    ),
    reply=any_reply,
    language=st.sampled_from(LANGUAGES),
    duplicates=st.integers(0, 100),
)
def test_any_batch_renders_within_block_kit_limits(
    kinds: list[str], reply: dict[str, Any], language: Language, duplicates: int
) -> None:
    """Any mix of outcomes and replies keeps every Block Kit limit, in either language."""
    outcomes = [_outcome(kind, reply, n) for n, kind in enumerate(kinds)]
    card = batch_card(outcomes, translator(language), now=NOW, duplicates=duplicates)
    assert limit_problems(card) == []
    assert len(card.text) <= 300
    assert "<!channel>" not in json.dumps(payload(card))
    assert len(detail_buttons(payload(card))) == len(outcomes)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_mixed_batch_names_each_lines_gateway(language: Language) -> None:
    """Lines from two gateways each carry their badge."""
    outcomes = [
        Outcome(
            REF,
            answer=Answer("q1", GatewayRejected(code="NO_BILL", message="", msg_id=None), NOW, 1.0),
        ),
        Outcome(
            QrCodeRef(MID, "31940000000000000000000001", env="test"),
            missing=MissingGateway("test", ("CHINAUMS_TEST_APP_ID", "CHINAUMS_TEST_APP_KEY")),
        ),
    ]
    tr = translator(language)
    card = payload(batch_card(outcomes, tr, now=NOW))
    assert badge("prod", tr) in line_of(card, REF.qr_code_id)
    assert badge("test", tr) in line_of(card, "31940000000000000000000001")


def test_a_merchant_name_with_line_breaks_stays_on_its_codes_line() -> None:
    """A gateway's line breaks cannot draw a forged line for another code."""
    forged = "Shop\n`31942002268195125132889999`  :white_check_mark: *¥0.01*  ·  Trusted"
    info = QrCodeInfo.model_validate({"errCode": "SUCCESS", "merName": forged})
    outcomes = [
        Outcome(REF, answer=Answer("q1", info, NOW, 1.0)),
        Outcome(
            replace(REF, qr_code_id="31940000000000000000000001"),
            answer=Answer("q2", NO_BILL, NOW, 1.0),
        ),
    ]
    card = payload(batch_card(outcomes, translator("en"), now=NOW))
    assert "\n" not in line_of(card, REF.qr_code_id)


def test_a_gateway_code_with_line_breaks_stays_on_its_codes_line() -> None:
    """Whatever errCode the gateway sends cannot draw a forged line for another code."""
    forged = GatewayRejected(
        code="X`\n`31942002268195125132889999`  :white_check_mark: *¥0.01* `",
        message=None,
        msg_id=None,
    )
    outcomes = [
        Outcome(REF, answer=Answer("q1", forged, NOW, 1.0)),
        Outcome(replace(REF, qr_code_id=MISSING[0]), answer=Answer("q2", NO_BILL, NOW, 1.0)),
    ]
    card = payload(batch_card(outcomes, translator("en"), now=NOW))
    assert "\n" not in line_of(card, REF.qr_code_id)


def test_a_batch_with_codes_from_an_environment_not_connected_names_its_settings() -> None:
    """Every line says `not connected`; a note says which settings would connect it."""
    missing = MissingGateway("test", ("CHINAUMS_TEST_APP_ID", "CHINAUMS_TEST_APP_KEY"))
    outcomes = [Outcome(QrCodeRef(MID, code, env="test"), missing=missing) for code in FOUND[:2]]
    said = json.dumps(payload(batch_card(outcomes, translator("en"), now=NOW)))
    assert said.count("not connected to the test environment") == 3
    assert "`CHINAUMS_TEST_APP_ID` and `CHINAUMS_TEST_APP_KEY`" in said


def found(ref: QrCodeRef, **reply: Any) -> Outcome:
    info = QrCodeInfo.model_validate({"errCode": "SUCCESS", "merName": "Shop"} | reply)
    return Outcome(ref, answer=Answer("q", info, NOW, 1.0))


def test_the_heading_counts_found_not_found_failed_and_not_looked_up() -> None:
    outcomes = [
        found(REF, totalAmount="2"),
        Outcome(replace(REF, qr_code_id=MISSING[0]), answer=Answer("q2", NO_BILL, NOW, 1.0)),
        Outcome(
            replace(REF, qr_code_id=MISSING[1]),
            answer=Answer("q3", GatewayUnavailable(reason="x", attempts=3, elapsed=8.0,
                                                  msg_id=None), NOW, 1.0),
        ),
        Outcome(replace(REF, qr_code_id=FOUND[0]), refusal=Refusal("user-rate", limit=3, wait=9.2)),
    ]  # fmt: skip
    card = batch_card(outcomes, EN, now=NOW, duplicates=2)
    assert card.text == "4 QR codes: 1 found  ·  1 not found  ·  1 failed  ·  1 not looked up"
    said = json.dumps(payload(card))
    assert "*4 QR codes* of merchant `898340149000005`" in said
    assert "2 repeated codes were looked up once." in said
    assert "1 code was not looked up: the rate limit was reached. Try again in 10 s" in said
    assert "_Details_ shows a code's full card" in said


def test_each_details_button_carries_its_own_lookup() -> None:
    refs = [replace(REF, qr_code_id=code) for code in FOUND[:3]]
    card = payload(batch_card([found(ref) for ref in refs], EN, now=NOW))
    assert [decode_button_value(b["value"]) for b in detail_buttons(card)] == refs


def test_no_access_for_any_code_is_the_refusal_alone() -> None:
    outcomes = [Outcome(replace(REF, qr_code_id=c), refusal=Refusal("access")) for c in FOUND[:2]]
    card = batch_card(outcomes, EN, now=NOW, hint="C0HELP0001")
    assert detail_buttons(payload(card)) == []
    assert "ask in <#C0HELP0001>" in json.dumps(payload(card))


@pytest.mark.parametrize(
    ("expires", "says"),
    [
        (NOW - timedelta(hours=1), ":no_entry: expired <!date^"),
        (NOW + timedelta(hours=1), ":hourglass_flowing_sand: expires <!date^"),
        (NOW + timedelta(days=30), "  ·  expires <!date^"),
        (None, "no expiry given"),
    ],
    ids=["expired", "soon", "later", "none"],
)
def test_a_found_codes_line_says_how_it_expires(expires: datetime | None, says: str) -> None:
    beijing = None if expires is None else f"{expires + timedelta(hours=8):%Y-%m-%d %H:%M:%S}"
    reply = {} if beijing is None else {"expireTime": beijing}
    outcomes = [found(REF, **reply), found(replace(REF, qr_code_id=FOUND[0]))]
    assert says in line_of(payload(batch_card(outcomes, EN, now=NOW)), REF.qr_code_id)
