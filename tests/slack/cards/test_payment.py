"""The payment status as the card and a batch line show it: only what the reply says."""

from __future__ import annotations

import pytest

from bot.gateway.bills import BillInfo
from bot.i18n import ENGLISH
from bot.i18n.catalogue import translator
from bot.service.payment import Payment
from bot.slack.cards.payment import payment_section, payment_text, payment_word, wallet_name

PAYMENT: dict[str, object] = {
    "payTime": "2026-11-25 11:45:58",
    "targetSys": "Alipay 2.0",
    "totalAmount": 200,
    "buyerPayAmount": 200,
    "status": "TRADE_SUCCESS",
}
PAID: dict[str, object] = {
    "errCode": "SUCCESS",
    "billStatus": "PAID",
    "totalAmount": 200,
    "billPayment": PAYMENT,
}


def paid(**changes: object) -> Payment:
    return Payment("qri1", bill=BillInfo.model_validate(PAID | {"billPayment": PAYMENT | changes}))


@pytest.mark.parametrize(
    ("target_sys", "shown"),
    [
        ("Alipay 2.0", "Alipay"),
        ("WXPay", "WeChat Pay"),
        ("UNIONPAY", "UnionPay"),
        ("云闪付", "UnionPay"),
        ("<!channel> *Wallet*", "`&lt;!channel&gt; *Wallet*`"),
        ("a`b\nc", "`aˋb c`"),
    ],
)
def test_a_wallet_is_named_by_its_target_sys_and_an_unknown_one_as_written(
    target_sys: str, shown: str
) -> None:
    assert wallet_name(target_sys) == shown


def test_a_paid_bill_says_when_and_which_wallet() -> None:
    text = payment_text(paid(), ENGLISH)
    assert text.startswith(":white_check_mark: *Paid*")
    assert "<!date^" in text
    assert "via Alipay" in text
    assert "the payer paid" not in text  # the same as the total


def test_what_the_payer_paid_is_shown_only_when_it_differs_from_the_total() -> None:
    assert "the payer paid ¥1.50" in payment_text(paid(buyerPayAmount=150), ENGLISH)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("<b>PARTIAL", ":grey_question: Status `&lt;b&gt;PARTIAL`"),
        ("x`*<!here>*`\nY", ":grey_question: Status `xˋ*&lt;!here&gt;*ˋ Y`"),
        (7, ":grey_question: Status `7`"),
        ("   ", ":grey_question: No payment status given"),
    ],
)
def test_an_unknown_status_is_shown_as_the_provider_wrote_it_in_one_code_span(
    given: object, shown: str
) -> None:
    bill = BillInfo.model_validate({"errCode": "SUCCESS", "billStatus": given})
    assert payment_text(Payment("q", bill=bill), ENGLISH) == shown


def test_a_garbled_amount_is_dropped_and_the_section_stays_within_limits() -> None:
    payment = paid(buyerPayAmount="1e5000", targetSys="x" * 5000)
    section = payment_section(payment, ENGLISH)
    assert len(section["text"]["text"]) <= 3000
    assert "the payer paid" not in section["text"]["text"]


def test_no_bill_and_unavailable_say_so_without_details() -> None:
    assert "No bill found" in payment_text(Payment("q", code="NO_BILL"), ENGLISH)
    unavailable = payment_text(Payment("q", problem="HTTP 502"), ENGLISH)
    assert unavailable == ":warning: Payment status unavailable"  # the reason: Raw reply only


def test_the_section_and_the_batch_word_come_in_chinese_too() -> None:
    zh = translator("zh")
    assert "已支付" in payment_section(paid(), zh)["text"]["text"]
    assert payment_word(paid(), zh) == "已支付"
    assert payment_word(None, zh) is None
