"""The sandbox's known QR codes and their bills, loaded from fixtures.json (data, not code).

Every code whose reply names a bill (billNo, billDate, tid) has one, found by ``bills/query``
under (mid, billNo). A code entry's optional ``bill`` says how it stands: ``billStatus``
(default UNPAID; any text, served as written), ``billPayment`` (the sandbox adds
totalAmount, buyerPayAmount, settleDate, merOrderId = billNo + "1" and billBizType unless
given), ``billPaymentAsText`` (send billPayment as a JSON string), ``errCode``/``errMsg`` (answer
that instead) or ``fault`` (one of the fault names, on every bills/query for it).

=========================== ==============================================================
qrCodeId                    what its bill shows (bills/query)
=========================== ==============================================================
31942002268195125132885377  the seed's: PAID by "Alipay 2.0" (TRADE_SUCCESS)
31942006301200450000778899  the expired code's: CLOSED, no billPayment
31942611251300010000000001  UNPAID, no billPayment
31942611251300020000000002  REFUND (billPayment status TRADE_CLOSED, WXPay)
31942611251300030000000003  CLOSED, no billPayment (closed before payment)
31942611251300040000000004  a refund in progress: PAID, billPayment status TRADE_REFUND
31942611251300050000000005  PAID by "WXPay"
31942611251300060000000006  PAID by "UNIONPAY" (云闪付; the provider's value is unconfirmed)
31942611251300070000000007  PAID, billPayment sent as a JSON string
31942611251300080000000008  billStatus "PARTIAL_REFUND": unknown, shown as written
31942611251300090000000009  bills/query answers every time with an nginx 502 page
31942611251300100000000010  bills/query answers every time SYSTEM_BUSY (transient)
31942611251300110000000011  bills/query hangs (past any deadline)
31942611251300120000000012  no billNo in the code's reply: no bill, no second call
31942611251300130000000013  PAID by "WXPay", payTime unreadable (2026/11/25 ...)
(every other code)          UNPAID; the fault codes (HANG..., E503...) are the seed's
=========================== ==============================================================
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, cast

from bot.gateway.signing import body_timestamp
from bot.sandbox.faults import FAULT_NAMES, FaultName

SEED_QR_CODE_ID = "31942002268195125132885377"


@dataclass(frozen=True, slots=True)
class FixtureCode:
    """One known code: its owner's mid and the reply the gateway sends for it."""

    qr_code_id: str  # for a family (prefix), the prefix
    note: str
    reply: dict[str, Any]
    expires_in_minutes: float | None = None
    prefix: bool = False

    @property
    def mid(self) -> str | None:
        mid = self.reply.get("mid")
        return mid if isinstance(mid, str) else None

    def reply_at(self, now: datetime, asked: str | None = None) -> dict[str, Any]:
        """A fresh copy of the reply; a relative expiry becomes a Beijing time after *now*.

        For a family, ``{qrCodeId}`` in the reply's strings becomes the id *asked*.
        """
        reply = copy.deepcopy(self.reply)
        if self.prefix and asked:
            reply = {
                k: v.replace("{qrCodeId}", asked) if isinstance(v, str) else v
                for k, v in reply.items()
            }
        if self.expires_in_minutes is not None:
            reply["expireTime"] = body_timestamp(now + timedelta(minutes=self.expires_in_minutes))
        return reply


@dataclass(frozen=True, slots=True)
class FixtureBill:
    """One bill ``bills/query`` knows: the ids its code's reply names, and how it stands."""

    mid: str
    tid: str
    inst_mid: str
    bill_no: str
    bill_date: str
    total_amount: Any  # as the code's reply has it; a string of digits is sent as a number
    status: str = "UNPAID"
    payment: dict[str, Any] | None = None
    payment_as_text: bool = False
    answer: tuple[str, str] | None = None  # (errCode, errMsg) sent instead of the bill
    fault: FaultName | None = None

    @property
    def fault_key(self) -> str:
        """The key its fault is triggered by (a qrCodeId's namespace is not a bill's)."""
        return f"bill:{self.mid}:{self.bill_no}"

    def matches(self, data: dict[str, Any]) -> bool:
        """Whether a request found by (mid, billNo) also names this bill's date, tid, instMid."""
        return (data.get("billDate"), data.get("tid"), data.get("instMid")) == (
            self.bill_date,
            self.tid,
            self.inst_mid,
        )

    def reply(self) -> dict[str, Any]:
        """The reply, but for the echoes and responseTimestamp the gateway adds."""
        if self.answer is not None:
            return {"errCode": self.answer[0], "errMsg": self.answer[1]}
        reply: dict[str, Any] = {
            "errCode": "SUCCESS",
            "errMsg": "查询账单成功",
            "mid": self.mid,
            "tid": self.tid,
            "instMid": self.inst_mid,
            "billNo": self.bill_no,
            "billDate": self.bill_date,
            "billStatus": self.status,
            "totalAmount": _number(self.total_amount),
        }
        if self.payment is not None:
            payment = self._payment()
            reply["billPayment"] = (
                json.dumps(payment, ensure_ascii=False) if self.payment_as_text else payment
            )
        return reply

    def _payment(self) -> dict[str, Any]:
        assert self.payment is not None  # noqa: S101  # only called with one
        pay_time = self.payment.get("payTime")
        defaults: dict[str, Any] = {
            "totalAmount": _number(self.total_amount),
            "buyerPayAmount": _number(self.total_amount),
            "merOrderId": self.bill_no + "1",
            "billBizType": "bills",
        }
        if isinstance(pay_time, str) and len(pay_time) >= 10:
            defaults["settleDate"] = pay_time[:10]
        return defaults | copy.deepcopy(self.payment)


def _number(amount: Any) -> Any:
    return int(amount) if isinstance(amount, str) and amount.isdigit() else amount


@dataclass(frozen=True, slots=True)
class Fixtures:
    codes: dict[str, FixtureCode]
    faults: dict[str, FaultName]
    families: tuple[FixtureCode, ...] = ()
    seed_id: str = SEED_QR_CODE_ID
    bills: dict[tuple[str, str], FixtureBill] = field(default_factory=dict)  # by (mid, billNo)

    def find(self, qr_code_id: str) -> FixtureCode | None:
        """The code with this id, else the family whose prefix it starts with."""
        code = self.codes.get(qr_code_id)
        if code is not None:
            return code
        return next((f for f in self.families if qr_code_id.startswith(f.qr_code_id)), None)

    def find_bill(self, mid: Any, bill_no: Any) -> FixtureBill | None:
        """The bill this merchant issued under this number (its date is checked apart)."""
        return self.bills.get((mid, bill_no)) if isinstance(mid, str) else None

    def fault_triggers(self) -> dict[str, FaultName]:
        """The faults codes and bills trigger, each by its own key."""
        by_bill = {b.fault_key: b.fault for b in self.bills.values() if b.fault is not None}
        return dict(self.faults) | by_bill


def parse_fixtures(data: dict[str, Any]) -> Fixtures:
    """Build Fixtures from the JSON document; a malformed entry fails loudly, naming it."""
    codes: dict[str, FixtureCode] = {}
    bills: dict[tuple[str, str], FixtureBill] = {}
    for index, entry in enumerate(data.get("codes", [])):
        code = _parse_code(entry, f"codes[{index}]")
        if code.qr_code_id in codes:
            raise ValueError(f"fixtures: qrCodeId {code.qr_code_id} appears twice")
        codes[code.qr_code_id] = code
        _add_bill(bills, code, entry.get("bill"), f"codes[{index}]")
    if SEED_QR_CODE_ID not in codes:
        raise ValueError(f"fixtures: the seed's code {SEED_QR_CODE_ID} is missing")
    families = []
    for index, entry in enumerate(data.get("families", [])):
        family = FixtureCode(
            qr_code_id=str(entry["qrCodeIdPrefix"]),
            note=str(entry.get("note", "")),
            reply=dict(entry["reply"]),
            prefix=True,
        )
        families.append(family)
        _add_bill(bills, family, entry.get("bill"), f"families[{index}]")
    return Fixtures(codes=codes, faults=_parse_faults(data), families=tuple(families), bills=bills)


def _parse_code(entry: dict[str, Any], where: str) -> FixtureCode:
    try:
        code = FixtureCode(
            qr_code_id=str(entry["qrCodeId"]),
            note=str(entry.get("note", "")),
            reply=dict(entry["reply"]),
            expires_in_minutes=entry.get("expiresInMinutes"),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"fixtures: {where} lacks {exc}") from None
    if code.mid is None:
        raise ValueError(f"fixtures: {where} reply has no mid")
    return code


def _parse_faults(data: dict[str, Any]) -> dict[str, FaultName]:
    faults: dict[str, FaultName] = {}
    for qr_code_id, name in data.get("faults", {}).items():
        if name not in FAULT_NAMES:
            raise ValueError(
                f"fixtures: fault {name!r} for {qr_code_id} is not one of {FAULT_NAMES}"
            )
        faults[qr_code_id] = cast(FaultName, name)
    return faults


def _add_bill(
    bills: dict[tuple[str, str], FixtureBill],
    code: FixtureCode,
    entry: dict[str, Any] | None,
    where: str,
) -> None:
    """The bill *code*'s reply names, standing as *entry* says (unpaid when it says nothing)."""
    reply = code.reply
    inst_mid = reply.get("instMid") or "QRPAYDEFAULT"  # the product's own, as the client's
    ids = [reply.get("mid"), reply.get("tid"), inst_mid, reply.get("billNo"), reply.get("billDate")]
    named = all(isinstance(v, str) and v and "{" not in v for v in ids)
    if not named:
        if entry is not None:
            raise ValueError(f"fixtures: {where} has a bill but its reply names none")
        return
    mid, tid, inst_mid, bill_no, bill_date = (str(v) for v in ids)
    if (mid, bill_no) in bills:
        raise ValueError(f"fixtures: {where} billNo {bill_no} of mid {mid} appears twice")
    bills[(mid, bill_no)] = FixtureBill(
        mid,
        tid,
        inst_mid,
        bill_no,
        bill_date,
        reply.get("totalAmount"),
        **_bill_state(entry, where),
    )


def _bill_state(entry: dict[str, Any] | None, where: str) -> dict[str, Any]:
    entry = entry or {}
    status, payment = entry.get("billStatus", "UNPAID"), entry.get("billPayment")
    fault, code = entry.get("fault"), entry.get("errCode")
    if not isinstance(status, str) or not (payment is None or isinstance(payment, dict)):
        raise ValueError(f"fixtures: {where} bill needs a text billStatus, an object billPayment")
    if fault is not None and fault not in FAULT_NAMES:
        raise ValueError(f"fixtures: {where} bill fault {fault!r} is not one of {FAULT_NAMES}")
    return {
        "status": status,
        "payment": payment,
        "payment_as_text": bool(entry.get("billPaymentAsText", False)),
        "answer": (str(code), str(entry.get("errMsg", ""))) if code is not None else None,
        "fault": fault,
    }


def load_fixtures(path: Path | None = None) -> Fixtures:
    """The packaged fixtures.json, or another file of the same shape."""
    if path is None:
        text = resources.files("bot.sandbox").joinpath("fixtures.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_fixtures(json.loads(text))
