"""The bills/query models (bot/gateway/bills.py): the bill a QR code's reply names, the body
sent for it, and the reply read tolerantly (billPayment as an object or a JSON string, an
unknown status kept, a field that does not read dropped, not failing the reply)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from bot.gateway.bills import BillInfo, BillRef, BillsQueryRequest
from bot.gateway.models import QrCodeInfo
from bot.gateway.signing import BEIJING
from tests.gateway.helpers import SEED_REPLY

PAYMENT = {
    "payTime": "2023-05-24 11:45:58",
    "paySeqId": "34212077876N",
    "settleDate": "2023-05-24",
    "buyerId": "2088422404512952",
    "totalAmount": 1,
    "buyerPayAmount": 1,
    "billBizType": "bills",
    "merOrderId": "34ZZ23052487545531144982950",
    "status": "TRADE_SUCCESS",
    "targetSys": "Alipay 2.0",
}


def bill_reply(**fields: Any) -> dict[str, Any]:
    return {
        "errCode": "SUCCESS",
        "errMsg": "查询账单成功",
        "billNo": "34ZZ2305248754553114498295",
        "billDate": "2023-05-24",
        "billStatus": "PAID",
        "totalAmount": 1,
        "billPayment": PAYMENT,
    } | fields


# --- the bill a QR code names ----------------------------------------------------------------


def test_the_seed_reply_names_its_own_bill() -> None:
    ref = BillRef.of(QrCodeInfo.model_validate(SEED_REPLY))
    assert ref == BillRef(
        mid="898340149000005",
        tid="00000001",
        inst_mid="QRPAYDEFAULT",
        bill_no="10A31689733046250",
        bill_date=date(2020, 2, 26),
    )


@pytest.mark.parametrize("missing", ["billNo", "billDate", "mid", "tid"])
def test_a_reply_without_a_bills_ids_names_no_bill(missing: str) -> None:
    reply = {k: v for k, v in SEED_REPLY.items() if k != missing}
    assert BillRef.of(QrCodeInfo.model_validate(reply)) is None


def test_a_reply_without_an_inst_mid_names_the_products_default() -> None:
    reply = {k: v for k, v in SEED_REPLY.items() if k != "instMid"}
    ref = BillRef.of(QrCodeInfo.model_validate(reply))
    assert ref is not None
    assert ref.inst_mid == "QRPAYDEFAULT"


# --- the body ----------------------------------------------------------------------------------


def test_the_body_has_the_samples_fields_in_order_and_leaves_out_what_is_unset() -> None:
    request = BillsQueryRequest(
        request_timestamp="2026-11-25 12:00:00",
        mid="898340149000005",
        tid="00000001",
        inst_mid="QRPAYDEFAULT",
        bill_no="10A31689733046250",
        bill_date="2020-02-26",
        msg_id="m-1",
    )
    assert request.to_bytes() == (
        b'{"requestTimestamp":"2026-11-25 12:00:00","mid":"898340149000005","tid":"00000001",'
        b'"instMid":"QRPAYDEFAULT","billNo":"10A31689733046250","billDate":"2020-02-26",'
        b'"msgId":"m-1"}'
    )


# --- the reply ---------------------------------------------------------------------------------


def test_a_paid_bill_reads_with_its_payment() -> None:
    info = BillInfo.model_validate(bill_reply())
    assert info.state == "paid"
    assert info.bill_date == date(2023, 5, 24)
    assert info.bill_payment is not None
    assert info.bill_payment.target_sys == "Alipay 2.0"
    assert info.bill_payment.pay_time == datetime(2023, 5, 24, 11, 45, 58, tzinfo=BEIJING)
    assert info.bill_payment.status == "TRADE_SUCCESS"
    assert info.bill_payment.buyer_pay_amount == 1


def test_a_payment_sent_as_a_json_string_reads_as_the_object_would() -> None:
    as_text = BillInfo.model_validate(bill_reply(billPayment=json.dumps(PAYMENT)))
    assert as_text.bill_payment == BillInfo.model_validate(bill_reply()).bill_payment


@pytest.mark.parametrize("payment", ["not json", "[1, 2]", 42], ids=["garbage", "list", "number"])
def test_a_payment_that_is_no_object_is_missing(payment: object) -> None:
    assert BillInfo.model_validate(bill_reply(billPayment=payment)).bill_payment is None


@pytest.mark.parametrize(
    ("status", "state"),
    [("PAID", "paid"), ("UNPAID", "unpaid"), ("REFUND", "refunded"), ("CLOSED", "closed")],
)
def test_each_known_status_has_its_state(status: str, state: str) -> None:
    assert BillInfo.model_validate(bill_reply(billStatus=status)).state == state


def test_an_unknown_status_is_kept_as_written_and_its_state_is_unknown() -> None:
    info = BillInfo.model_validate(bill_reply(billStatus="PARTIAL_REFUND"))
    assert info.state == "unknown"
    assert info.bill_status == "PARTIAL_REFUND"


def test_an_unreadable_pay_time_is_dropped_and_the_wallet_kept() -> None:
    info = BillInfo.model_validate(bill_reply(billPayment=PAYMENT | {"payTime": "2026/11/25"}))
    assert info.bill_payment is not None
    assert info.bill_payment.pay_time is None
    assert info.bill_payment.target_sys == "Alipay 2.0"


def test_an_unpaid_bill_without_a_payment_reads() -> None:
    reply = {k: v for k, v in bill_reply(billStatus="UNPAID").items() if k != "billPayment"}
    info = BillInfo.model_validate(reply)
    assert info.state == "unpaid"
    assert info.bill_payment is None
