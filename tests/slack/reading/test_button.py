"""What a card's buttons carry: the lookup and its gateway as compact JSON, read back and
checked like user input (a button's value is never trusted)."""

from __future__ import annotations

import json

import pytest

from bot.gateway.ids import QrCodeRef
from bot.slack.reading.button import decode_button_value, encode_button_value
from bot.slack.reading.pasted import UsageError

MID = "898340149000005"
QR = "31942002268195125132885377"


def test_a_button_value_keeps_its_gateway_and_refuses_an_unknown_one() -> None:
    """The environment round-trips through a button; one no bot has is a tampered value."""
    ref = QrCodeRef(MID, QR, env="test")
    assert decode_button_value(encode_button_value(ref)) == ref
    with pytest.raises(UsageError):
        decode_button_value(json.dumps({"mid": MID, "qr": QR, "env": "staging"}))
    with pytest.raises(UsageError):
        decode_button_value(json.dumps({"mid": MID, "qr": QR, "env": ["test"]}))
    with pytest.raises(UsageError):  # nested too deep for json to read: a message, no traceback
        decode_button_value("[" * 1000)


def test_a_value_is_compact_json_and_names_no_gateway_when_none_was_chosen() -> None:
    assert encode_button_value(QrCodeRef(MID, QR)) == f'{{"mid":"{MID}","qr":"{QR}"}}'
    assert decode_button_value(encode_button_value(QrCodeRef(MID, QR))) == QrCodeRef(MID, QR)


def test_who_shared_an_old_card_is_ignored() -> None:
    """Cards from before carry `by`: who acts is who the verified payload says, never this."""
    value = json.dumps({"mid": MID, "qr": QR, "by": "U0SOMEONE"})
    assert decode_button_value(value) == QrCodeRef(MID, QR)


@pytest.mark.parametrize(
    "value",
    ["", "not json", "[]", '{"mid": 1, "qr": "x"}', json.dumps({"mid": MID}),
     json.dumps({"mid": MID, "qr": "3194'OR'1'='1"}), json.dumps({"mid": "8-9", "qr": QR})],
    ids=["empty", "not-json", "a-list", "mid-not-text", "no-qr", "bad-qr", "bad-mid"],
)  # fmt: skip
def test_a_value_that_is_not_a_good_lookup_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError):
        decode_button_value(value)
