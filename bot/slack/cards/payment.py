"""Pure: a bill's payment status, as the card's section and as a batch line's word.

Only what the reply says: a status we do not know is shown as the provider wrote it, a
wallet we do not know by its own name, and an amount the payer paid only when it differs
from the bill's total. No Bolt, no aiohttp (an import contract).
"""

from __future__ import annotations

from bot.gateway.bills import BillInfo, BillPayment
from bot.i18n import Translator
from bot.service.payment import Payment
from bot.slack.cards.block_kit import Json, mrkdwn, section
from bot.slack.cards.blocks import SECTION_CHARS, money
from bot.slack.cards.mrkdwn import clip, clip_plain, date_token

WALLET_CHARS = 40
STATUS_CHARS = 60
# targetSys as seen in real replies -> the wallet's name (others: as written).
_WALLETS = {"alipay 2.0": "Alipay", "alipay": "Alipay", "wxpay": "WeChat Pay"}
_UNIONPAY = ("unionpay", "cloudpay", "uac", "云闪付", "银联")


def as_code(text: str, limit: int) -> str:
    """Outside text in a code span: on one line, no backtick to close it early, escaped and
    clipped (in a code span Slack draws no *bold* or _italics_ either)."""
    one_line = " ".join(text.split()).replace("`", "ˋ")
    return f"`{clip(one_line, limit)}`"


def wallet_name(target_sys: str) -> str:
    """The wallet a payment came from, by its targetSys; one we do not know as written."""
    known = _WALLETS.get(target_sys.strip().lower())
    if known is None and any(word in target_sys.lower() for word in _UNIONPAY):
        known = "UnionPay"
    return known or as_code(target_sys, WALLET_CHARS)


def payment_section(payment: Payment, tr: Translator) -> Json:
    """The card's payment section: the status in a word, then what the reply adds."""
    text = tr("*Payment*") + "\n" + payment_text(payment, tr)
    return section(mrkdwn(clip_plain(text, SECTION_CHARS)))


def payment_text(payment: Payment, tr: Translator) -> str:
    status = payment.status
    bill = payment.bill
    if bill is None:
        if status == "no-bill":
            return tr(":grey_question: No bill found for this bill number")
        return tr(":warning: Payment status unavailable")
    if status == "unknown":
        given = (bill.bill_status or "").strip()
        if not given:
            return tr(":grey_question: No payment status given")
        return tr(":grey_question: Status {status}", status=as_code(given, STATUS_CHARS))
    words = {
        "paid": tr(":white_check_mark: *Paid*"),
        "unpaid": tr(":hourglass: *Not paid*"),
        "refunded": tr(":leftwards_arrow_with_hook: *Refunded*"),
        "closed": tr(":no_entry_sign: *Closed*"),
    }
    return "  ·  ".join([words[status], *_details(bill, tr)])


def _details(bill: BillInfo, tr: Translator) -> list[str]:
    """When, which wallet, what the payer paid (if not the total), a refund under way."""
    paid = bill.bill_payment
    if paid is None or bill.state not in ("paid", "refunded"):
        return []
    details = []
    if paid.pay_time is not None:
        details.append(date_token(paid.pay_time))
    if paid.target_sys:
        details.append(tr("via {wallet}", wallet=wallet_name(paid.target_sys)))
    payer = _payer_paid(bill, paid)
    if payer is not None:
        details.append(tr("the payer paid {amount}", amount=money(payer)))
    if bill.state == "paid" and (paid.status or "").upper() == "TRADE_REFUND":
        details.append(tr("a refund is under way"))
    return details


def _payer_paid(bill: BillInfo, paid: BillPayment) -> int | None:
    total = paid.total_amount if paid.total_amount is not None else bill.total_amount
    payer = paid.buyer_pay_amount
    return payer if payer is not None and total is not None and payer != total else None


def payment_word(payment: Payment | None, tr: Translator) -> str | None:
    """The status in a word or two, for a batch card's line (None: not asked)."""
    return None if payment is None else status_word(payment.status, tr)


def status_word(status: str, tr: Translator) -> str:
    """A payment status (Payment.status, as kept in a history too) in a word or two; one this
    version does not know, as written in a code span."""
    words = {
        "paid": tr("paid"),
        "unpaid": tr("not paid"),
        "refunded": tr("refunded"),
        "closed": tr("closed"),
        "unknown": tr("payment status unknown"),
        "no-bill": tr("no bill found"),
        "unavailable": tr("payment status unavailable"),
    }
    return words.get(status) or as_code(status, STATUS_CHARS)
