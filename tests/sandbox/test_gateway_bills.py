"""The sandbox's bills/query (bot/sandbox/gateway.py, bot/sandbox/fixtures.json): each
fixture's bill as the client reads it, found only by its own mid, number, date, tid and
instMid, behind the same verification as query-qrcode-info."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.gateway.attempts import Attempts
from bot.gateway.bills import BillInfo, BillRef
from bot.gateway.client import QrCodeClient
from bot.gateway.errors import GatewayUnavailable
from bot.gateway.protocol import BILLS_PATH
from bot.gateway.signing import body_timestamp
from bot.gateway.transport import new_http_client
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from tests.sandbox.helpers import (
    NOW,
    SEED_BILL_NO,
    SEED_MID,
    SEED_QR,
    Clock,
    bills_body,
    client_for,
    reply,
    signed_bills_query,
    signed_query,
    token_query,
    token_request,
)


@pytest.fixture
def sandbox() -> SandboxGateway:
    return SandboxGateway(wall_clock=Clock())


@pytest.fixture
async def client(sandbox: SandboxGateway) -> AsyncIterator[QrCodeClient]:
    http = new_http_client(transport=SandboxTransport(sandbox))
    yield client_for("http://sandbox.invalid", http, Clock(), "body-sig", timeout=1.0)
    await http.aclose()


async def bill_of(client: QrCodeClient, sandbox: SandboxGateway, qr: str) -> BillRef | None:
    """The bill the fixture code *qr* names, as the client reads it from its reply."""
    code = sandbox.fixtures.codes[qr]
    assert code.mid is not None
    return BillRef.of(await client.query_qrcode_info(code.mid, qr))


@dataclass(frozen=True)
class Shown:
    state: str
    status: str | None = None  # billStatus, as written
    wallet: str | None = None  # billPayment.targetSys
    payment_status: str | None = None
    paid_at: bool = False  # a payTime that reads


FIXTURES = {
    SEED_QR: Shown("paid", "PAID", "Alipay 2.0", "TRADE_SUCCESS", paid_at=True),
    "31942006301200450000778899": Shown("closed", "CLOSED"),
    "48021125093015000000123456": Shown("unpaid", "UNPAID"),
    "31942611251300010000000001": Shown("unpaid", "UNPAID"),
    "31942611251300020000000002": Shown("refunded", "REFUND", "WXPay", "TRADE_CLOSED", True),
    "31942611251300030000000003": Shown("closed", "CLOSED"),
    "31942611251300040000000004": Shown("paid", "PAID", "Alipay 2.0", "TRADE_REFUND", True),
    "31942611251300050000000005": Shown("paid", "PAID", "WXPay", "TRADE_SUCCESS", True),
    "31942611251300060000000006": Shown("paid", "PAID", "UNIONPAY", "TRADE_SUCCESS", True),
    "31942611251300070000000007": Shown("paid", "PAID", "Alipay 2.0", "TRADE_SUCCESS", True),
    "31942611251300080000000008": Shown("unknown", "PARTIAL_REFUND", "WXPay", "TRADE_REFUND", True),
    "31942611251300130000000013": Shown("paid", "PAID", "WXPay", "TRADE_SUCCESS", paid_at=False),
}


@pytest.mark.parametrize(("qr", "shown"), FIXTURES.items(), ids=list(FIXTURES))
async def test_each_fixtures_bill_shows_as_its_table_row_says(
    client: QrCodeClient, sandbox: SandboxGateway, qr: str, shown: Shown
) -> None:
    bill = await bill_of(client, sandbox, qr)
    assert bill is not None
    info = await client.query_bill(bill)
    payment = info.bill_payment
    assert (info.state, info.bill_status) == (shown.state, shown.status)
    assert (payment.target_sys if payment else None) == shown.wallet
    assert (payment.status if payment else None) == shown.payment_status
    assert (payment is not None and payment.pay_time is not None) == shown.paid_at


async def test_the_json_string_fixture_sends_its_payment_as_a_string(
    client: QrCodeClient, sandbox: SandboxGateway
) -> None:
    bill = await bill_of(client, sandbox, "31942611251300070000000007")
    assert bill is not None
    attempts = Attempts(msg_id=None)
    await client.query_bill(bill, attempts=attempts)
    assert isinstance(attempts.reply, dict)
    assert isinstance(attempts.reply["billPayment"], str)


@pytest.mark.parametrize(
    ("qr", "reason"),
    [
        ("31942611251300090000000009", "HTTP 502"),
        ("31942611251300100000000010", "gateway busy (SYSTEM_BUSY)"),
        ("31942611251300110000000011", "no answer from the gateway"),
    ],
    ids=["502", "system-busy", "hang"],
)
async def test_the_failing_bills_fail_every_time_after_the_code_is_found(
    client: QrCodeClient, sandbox: SandboxGateway, qr: str, reason: str
) -> None:
    bill = await bill_of(client, sandbox, qr)
    assert bill is not None
    with pytest.raises(GatewayUnavailable) as caught:
        await client.query_bill(bill, timeout=0.3)
    assert reason in caught.value.reason
    assert sandbox.bills_asked[bill.bill_no] >= 1


async def test_the_code_without_a_bill_number_names_no_bill(
    client: QrCodeClient, sandbox: SandboxGateway
) -> None:
    assert await bill_of(client, sandbox, "31942611251300120000000012") is None
    assert sandbox.bill_requests == 0


# --- the seed's bill, asked directly --------------------------------------------------------


async def test_the_seeds_bill_reply_has_the_documented_shape(sandbox: SandboxGateway) -> None:
    answer = reply(await signed_bills_query(sandbox))
    payment = answer.pop("billPayment")
    assert answer == {
        "errCode": "SUCCESS",
        "errMsg": "查询账单成功",
        "mid": SEED_MID,
        "tid": "00000001",
        "instMid": "QRPAYDEFAULT",
        "billNo": SEED_BILL_NO,
        "billDate": "2020-02-26",
        "billStatus": "PAID",
        "totalAmount": 2,
        "msgId": "test-bill-1",
        "responseTimestamp": body_timestamp(NOW),
    }
    assert payment["merOrderId"] == SEED_BILL_NO + "1"
    assert payment["billBizType"] == "bills"
    assert (payment["totalAmount"], payment["buyerPayAmount"]) == (2, 2)
    assert payment["settleDate"] == payment["payTime"][:10]
    assert {"paySeqId", "buyerId", "targetSys", "status"} <= set(payment)
    assert BillInfo.model_validate(answer | {"billPayment": payment}).state == "paid"


async def test_an_unpaid_bill_has_no_payment(sandbox: SandboxGateway) -> None:
    body = bills_body(
        mid="898310000001001", tid="66000001", billNo="31942026112513000001", billDate="2026-11-25"
    )
    answer = reply(await signed_bills_query(sandbox, body))
    assert answer["billStatus"] == "UNPAID"
    assert "billPayment" not in answer


@pytest.mark.parametrize(
    "fields",
    [
        {"billDate": "2020-02-27"},
        {"tid": "00000002"},
        {"instMid": "YUEDANDEFAULT"},
        {"billNo": "10A31689733046251"},
        {"mid": "898310058120123"},
    ],
    ids=["wrong-date", "wrong-tid", "wrong-inst-mid", "unknown-number", "another-merchant"],
)
async def test_a_bill_not_named_exactly_is_no_bill(
    sandbox: SandboxGateway, fields: dict[str, Any]
) -> None:
    answer = reply(await signed_bills_query(sandbox, bills_body(**fields)))
    assert answer["errCode"] == "NO_BILL"
    assert "无法找到指定的账单" in answer["errMsg"]
    assert answer["msgId"] == "test-bill-1"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"systemId": "35325423"}, "BAD_REQUEST"),
        ({"billDate": None}, "BAD_REQUEST"),
        ({"billDate": "20200226"}, "BAD_REQUEST"),
        ({"tid": None}, "BAD_REQUEST"),
        ({"requestTimestamp": "2026-11-25 04:00:00"}, "ABNORMAL_REQUEST_TIME"),  # UTC, not Beijing
    ],
    ids=["system-id", "no-date", "date-shape", "no-tid", "utc-timestamp"],
)
async def test_a_malformed_bills_body_is_refused_as_the_provider_would(
    sandbox: SandboxGateway, fields: dict[str, Any], code: str
) -> None:
    answer = reply(await signed_bills_query(sandbox, bills_body(**fields)))
    assert answer["errCode"] == code
    assert sandbox.bills_asked  # authenticated, then refused


async def test_a_bills_query_is_verified_like_a_qr_lookup(sandbox: SandboxGateway) -> None:
    """A bad signature is 412/1002 on bills/query too; a token from /v1/token/access works."""
    bad = await signed_query(sandbox, bills_body(), app_key="not-the-key", path=BILLS_PATH)
    assert (bad.status, reply(bad)["errCode"]) == (412, "1002")
    assert sandbox.bills_asked == {}
    token = reply(await token_request(sandbox))["accessToken"]
    good = await token_query(sandbox, token, bills_body(), path=BILLS_PATH)
    assert reply(good)["billStatus"] == "PAID"
    refused = await token_query(sandbox, "0" * 32, bills_body(), path=BILLS_PATH)
    assert (refused.status, reply(refused)["errCode"]) == (401, "1005")


async def test_bills_queries_are_counted_apart_from_qr_lookups(sandbox: SandboxGateway) -> None:
    await signed_bills_query(sandbox)
    await signed_query(sandbox)
    assert (sandbox.query_requests, sandbox.bill_requests) == (1, 1)
    assert sandbox.bills_asked == {SEED_BILL_NO: 1}
    assert sandbox.asked == {SEED_QR: 1}
