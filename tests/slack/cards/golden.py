"""The golden cards: a fixed, varied set of every kind of card, and the exact JSON each drew.

``golden_cards.json`` beside this module holds, for each case, the ``json.dumps`` (not
ASCII-escaped, keys in the order drawn) of what Slack receives: a card's ``text`` and
``blocks``, a home view, a modal, an unfurl map, a workflow step's outputs. It was written
by the renderer as it was when slack_sdk's model objects drew every card; the test
(test_golden.py) holds every later renderer to those exact bytes. Regenerate it only for a
change meant to show on a card, and review the diff::

    uv run python -m tests.slack.cards.golden
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.gateway.attempts import Try
from bot.gateway.bills import BillInfo
from bot.gateway.breaker import BreakerSnapshot
from bot.gateway.config import Environment
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
    TokenLimitReached,
)
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import LANGUAGES, T, Translator
from bot.i18n.catalogue import translator
from bot.service.answer import Answer
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.service.history import Looked
from bot.service.lookup import Outcome
from bot.service.payment import Payment
from bot.service.raw import RawReply, reply_text
from bot.service.recent import RecentSummary
from bot.service.status import GatewayStatus, Status
from bot.slack.cards.batch import batch_card
from bot.slack.cards.blocks import Card
from bot.slack.cards.home import home_view
from bot.slack.cards.notices import (
    qr_not_drawn_card,
    qr_not_sent_card,
    share_failed_card,
    unexpected_error_card,
    unreadable_request_card,
)
from bot.slack.cards.ops import operators_only_card, raw_gone_card, raw_reply_card, status_card
from bot.slack.cards.outcome import outcome_card
from bot.slack.cards.step_outputs import StepFailed, step_result
from bot.slack.cards.unfurl import unfurls
from bot.slack.cards.usage import usage_card
from bot.slack.cards.views import form_modal
from bot.slack.reading.links import qr_link
from tests.gateway.helpers import SEED_REPLY

GOLDEN = Path(__file__).with_name("golden_cards.json")
NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
MID = "898340149000005"
REF = QrCodeRef(MID, "31942002268195125132885377", env="sandbox")
# What a hostile or careless gateway may send: Slack's control characters, mrkdwn, a
# mention, a link, emoji, Chinese, and far more than any limit.
HOSTILE = "<!channel> & <@U123> <https://evil.example|click me> *bold* _it_ ~s~ `c` ```f``` 😀 商户"
LONG = HOSTILE * 120 + "尾" * 3000
PAYMENT = {"payTime": "2026-11-25 11:45:58", "targetSys": "Alipay 2.0", "totalAmount": 2,
           "buyerPayAmount": 2, "status": "TRADE_SUCCESS"}  # fmt: skip


def answered(result: QrCodeInfo | QrInfoError, **more: Any) -> Outcome:
    payment = more.pop("payment", None)
    answer = Answer("qri0001", result, NOW - timedelta(seconds=3), 8.0, payment=payment)
    return Outcome(more.pop("ref", REF), answer=answer, **more)


def found(**reply: Any) -> QrCodeInfo:
    return QrCodeInfo.model_validate(SEED_REPLY | reply)


def bill(bill_status: str | None, **paid: Any) -> Payment:
    reply = {"errCode": "SUCCESS", "billStatus": bill_status, "totalAmount": 2}
    return Payment("qri2", bill=BillInfo.model_validate(reply | {"billPayment": PAYMENT | paid}))


def _replies() -> Iterator[tuple[str, QrCodeInfo]]:
    yield "seed", found()
    texts = ("merName", "mid", "tid", "instMid", "billNo", "billDesc", "memberId")
    goods = [{"goodsName": LONG, "quantity": "2.50", "price": "7"}] * 12
    yield "hostile", found(**dict.fromkeys(texts, LONG), counterNo=HOSTILE, goods=goods)
    yield "bare", QrCodeInfo.model_validate({"errCode": "SUCCESS"})
    yield "no-expiry", found(expireTime=None, installmentNumber=None, goods=[])
    yield "expired", found(expireTime="2026-11-24 10:00:00")
    yield "expiring", found(expireTime="2026-11-25 20:00:00")
    yield "goods", found(totalAmount="100000", goods=[
        {"goodsId": f"G{n}", "quantity": str(n), "price": str(n * 99)} for n in range(14)
    ] + [{"goodsName": "没有数量"}])  # fmt: skip
    yield "http-url", found(qrCodeUrl="http://qr.chinaums.com/bills/qrCode.do?id=1&x=<b>")
    yield "long-url", found(qrCodeUrl="https://qr.chinaums.com/bills/qrCode.do?id=" + "9" * 3100)
    yield "other-host", found(qrCodeUrl="https://evil.example/qr?id=1")
    yield "no-url", found(qrCodeUrl=None)


def _payments() -> Iterator[tuple[str, Payment]]:
    yield "paid", bill("PAID")
    yield "paid-wx-payer", bill("PAID", targetSys="WXPay", buyerPayAmount=1)
    yield "paid-unionpay-refunding", bill("PAID", targetSys="云闪付", status="TRADE_REFUND")
    yield "paid-hostile-wallet", bill("PAID", targetSys=HOSTILE, payTime=None)
    yield "unpaid", bill("UNPAID")
    yield "refunded", bill("REFUND")
    yield "closed", bill("CLOSED")
    yield "unknown", bill(HOSTILE)
    yield "no-status", bill(None)
    yield "no-bill", Payment("qri2", code="NO_BILL")
    yield "unavailable", Payment("qri2", problem="timed out")


def _failures() -> Iterator[tuple[str, QrInfoError]]:
    yield "rejected", GatewayRejected(code="NO_BILL", message=None, msg_id="m")
    yield "rejected-hostile", GatewayRejected(code=HOSTILE, message=LONG, msg_id="m")
    yield "unavailable", GatewayUnavailable(reason=LONG, attempts=3, elapsed=8.04, msg_id="m")
    yield "one-attempt", GatewayUnavailable(reason="refused", attempts=1, elapsed=0.2, msg_id=None)
    yield "busy", GatewayBusy(limit=8, waited=1.5, msg_id=None)
    yield "paused", GatewayBreakerOpen(failing_since=NOW, retry_in=29.6, msg_id=None)
    yield "paused-new", GatewayBreakerOpen(failing_since=None, retry_in=1.0, msg_id=None)
    yield "auth", GatewayAuthError(code="X", message=HOSTILE, http_status=401, msg_id=HOSTILE)
    yield "auth-no-id", GatewayAuthError(code=None, message=None, http_status=None, msg_id=None)
    yield "token-limit", TokenLimitReached(code="T", gateway_message="x", http_status=200)
    yield "invalid", InvalidInput(field="mid", expected="15 digits", example=MID)


def _outcome_cards(tr: Translator) -> Iterator[tuple[str, Card]]:
    for name, info in _replies():
        yield f"found-{name}", outcome_card(answered(info), tr=tr, now=NOW)
    seed = found()
    for env in ("test", "prod"):
        ref = replace(REF, env=env)
        yield f"found-{env}", outcome_card(answered(seed, ref=ref), tr=tr, now=NOW, operator=True)
    ways: dict[str, dict[str, Any]] = {
        "operator": {"operator": True},
        "shared": {"shared_by": "U0SHARER", "operator": True},
        "refreshed": {"refreshed": True},
        "refreshed-shared": {"refreshed": True, "shared_by": "U0SHARER"},
        "unshareable": {"shareable": False},
    }
    for name, way in ways.items():
        yield f"found-{name}", outcome_card(answered(seed), tr=tr, now=NOW, **way)
    yield "found-reused", outcome_card(answered(seed, reused=True), tr=tr, now=NOW)
    for name, payment in _payments():
        yield f"payment-{name}", outcome_card(answered(seed, payment=payment), tr=tr, now=NOW)
    for name, error in _failures():
        yield f"error-{name}", outcome_card(answered(error), tr=tr, now=NOW, operator=True)
    refusals = [("user", Refusal("user-rate", 30, 59.2)), ("ws", Refusal("workspace-rate", 1, 3))]
    for name, refusal in refusals:
        yield f"refused-{name}", outcome_card(Outcome(REF, refusal=refusal), tr=tr, now=NOW)
    for hint in ("", "C0HELP0001", HOSTILE):
        outcome = Outcome(REF, refusal=Refusal("access"))
        yield f"refused-access-{hint[:4]}", outcome_card(outcome, tr=tr, now=NOW, hint=hint)
    for settings in ((), ("CHINAUMS_PROD_APP_ID", "CHINAUMS_PROD_APP_KEY"), ("A", "B", "C")):
        outcome = Outcome(REF, missing=MissingGateway("prod", settings))
        yield f"unconfigured-{len(settings)}", outcome_card(outcome, tr=tr, now=NOW)


def _batch_cards(tr: Translator) -> Iterator[tuple[str, Card]]:
    def ref(n: int) -> QrCodeRef:
        return QrCodeRef(MID, f"{n:026}", env=("prod", "test")[n % 2])

    infos = [info for _, info in _replies()]
    errors = [error for _, error in _failures()]
    mixed = [answered(info, ref=ref(n)) for n, info in enumerate(infos)]
    mixed += [answered(error, ref=ref(n + 20)) for n, error in enumerate(errors)]
    mixed += [
        answered(found(), ref=ref(40), payment=bill("PAID")),
        Outcome(ref(41), refusal=Refusal("user-rate", 30, 12.5)),
        Outcome(ref(42), refusal=Refusal("access")),
        Outcome(ref(43), missing=MissingGateway("prod", ("CHINAUMS_PROD_APP_ID", "X"))),
    ]
    yield "batch-mixed", batch_card(mixed, tr, now=NOW, duplicates=2, hint="C0HELP0001")
    same = [answered(found(), ref=replace(ref(n), env="sandbox")) for n in range(3)]
    yield "batch-found", batch_card(same, tr, now=NOW, duplicates=1)
    yield "batch-one", batch_card(same[:1], tr, now=NOW)
    denied = [Outcome(ref(n), refusal=Refusal("access")) for n in range(3)]
    yield "batch-denied", batch_card(denied, tr, now=NOW, hint=HOSTILE)


def _status(**changes: Any) -> Status:
    gateway = GatewayStatus(
        env="prod",
        gateway_url="https://api-mop.chinaums.com/" + "a<&>" * 800,
        auth="token",
        breaker=BreakerSnapshot("closed", None, 0.0, closed_since=NOW),
        token_expires_in=2760.0,
    )
    second = replace(gateway, env="test", **changes.pop("second", {}))
    recent = RecentSummary(15, 10**9, 10**8, {f"CODE_{i}_<&>": i for i in range(30)}, 9, 1.0, 2.0)
    status = Status(
        gateways=(gateway, second), recent=recent, version="0.1.0", uptime=93_784, now=NOW
    )
    return replace(status, **changes)


def _ops_cards(tr: Translator) -> Iterator[tuple[str, Card]]:
    yield "status", status_card(_status(), tr)
    opened = BreakerSnapshot("open", NOW, 29.5, opened_at=NOW)
    yield "status-open", status_card(_status(second={"breaker": opened, "auth": "body"}), tr)
    half = BreakerSnapshot("half-open", NOW, 0.0)
    yield "status-half", status_card(_status(second={"breaker": half, "token_expires_in": -1}), tr)
    quiet = RecentSummary(15, 0, 0, {}, 0, None, None)
    yield "status-quiet", status_card(_status(recent=quiet, fleet="degraded", uptime=5), tr)
    text, length = reply_text({"errCode": "SUCCESS", "merName": HOSTILE + "``````" + LONG * 3})
    tries = (Try(502, 1200.0, HOSTILE), Try(None, 3000.0, "timed out"), Try(200, 80.5))
    payment = RawReply("qri2", "prod", "NO_BILL", NOW, 5.0, 200, '{"errCode": "NO_BILL"}', 22, ())
    raw = RawReply("qri1", "sandbox", "found", NOW, 4280.5, 200, text, length, tries, payment)
    yield "raw-reply", raw_reply_card(raw, tr)
    none = RawReply("qri1", "test", "unavailable", NOW, 1.0, None, None, 0, ())
    yield "raw-nothing", raw_reply_card(none, tr)
    yield "raw-gone", raw_gone_card(tr)
    yield "operators-only", operators_only_card(tr)


def _notice_cards(tr: Translator) -> Iterator[tuple[str, Card]]:
    yield "share-failed-ours", share_failed_card(T("the channel is archived"), tr)
    yield "share-failed-slack", share_failed_card(LONG, tr)
    yield "qr-not-drawn-url", qr_not_drawn_card(True, tr)
    yield "qr-not-drawn-none", qr_not_drawn_card(False, tr)
    yield "qr-not-sent-refused", qr_not_sent_card(HOSTILE, tr)
    yield "qr-not-sent-silent", qr_not_sent_card(None, tr)
    yield "unreadable", unreadable_request_card(LONG, tr)
    yield "unexpected", unexpected_error_card(HOSTILE, tr)
    envs: list[list[Environment]] = [["sandbox"], ["prod", "test"], ["test", "prod", "sandbox"]]
    for shown in envs:
        yield f"usage-{'-'.join(shown)}", usage_card(shown, tr)


def _other_json(tr: Translator) -> Iterator[tuple[str, Any]]:
    looked = [
        Looked("prod", MID, f"{n:026}", "found", NOW, LONG if n % 2 else None, n * 999, "paid")
        for n in range(4)
    ]
    looked += [Looked("test", HOSTILE, HOSTILE, kind, NOW) for kind in ("refused", "NO_BILL")]
    looked += [Looked("sandbox", MID, "1" * 26, "found", NOW, "商户", None, HOSTILE)]
    yield "home-empty", home_view([], tr)
    yield "home", home_view(looked, tr)
    yield "home-operator", home_view(looked * 3, tr, status=_status())
    yield "form", form_modal(tr)
    yield "form-filled", form_modal(tr, mid=MID, qr_code_id=HOSTILE, note=T(LONG))
    urls = [f"https://qr-test1.chinaums.com/bills/qrCode.do?id={REF.qr_code_id}&x=<1>",
            f"https://qr.chinaums.com/bills/qrCode.do?id={'3194' + '0' * 22}"]  # fmt: skip
    yield "unfurls", unfurls([link for url in urls if (link := qr_link(url))], tr)


def _step_outputs() -> Iterator[tuple[str, Any]]:
    outcomes = [("found", answered(found(), payment=bill("PAID")))]
    outcomes += [(name, answered(error)) for name, error in _failures()]
    outcomes += [("refused", Outcome(REF, refusal=Refusal("access")))]
    outcomes += [("missing", Outcome(REF, missing=MissingGateway("prod", ())))]
    for name, outcome in outcomes:
        result = step_result(outcome, hint=HOSTILE)
        yield f"step-{name}", result.error if isinstance(result, StepFailed) else result


def rendered() -> dict[str, str]:
    """Each case's name -> the JSON text Slack would get for it."""
    drawn: dict[str, str] = {}
    for language in LANGUAGES:
        tr = translator(language)
        for make in (_outcome_cards, _batch_cards, _ops_cards, _notice_cards):
            drawn |= {f"{language}/{name}": dumps(card_json(card)) for name, card in make(tr)}
        drawn |= {f"{language}/{name}": dumps(value) for name, value in _other_json(tr)}
    return drawn | {name: dumps(value) for name, value in _step_outputs()}


def card_json(card: Card) -> dict[str, Any]:
    """A card as a response_url gets it (its text, then its blocks)."""
    return {"text": card.text, "blocks": card.block_dicts()}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def write() -> None:
    GOLDEN.write_text(json.dumps(rendered(), ensure_ascii=False, indent=0) + "\n", "utf-8")


if __name__ == "__main__":
    write()
