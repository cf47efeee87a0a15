"""Scenario tests: "was it paid?" — the bill's status on the card, from bills/query, through
signed requests to the real app and the strict sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.kit.simulate import DEMO_USER
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.cards.blocks import RAW_REPLY_ACTION, REFRESH_ACTION
from tests.sandbox.helpers import RecordingSandbox
from tests.slack.helpers import AppFactory, all_text, ask, click

MID = "898340149000005"
BILLS = "/v1/netpay/bills/query"
# The sandbox's bill fixtures (bot/sandbox/fixtures.py), each code under its own merchant.
MIDS = {
    "31942611251300010000000001": "898310000001001",
    "31942611251300020000000002": "898320000002002",
    "31942611251300030000000003": "898120000003003",
    "31942611251300040000000004": "898500000004004",
    "31942611251300050000000005": "898610000005005",
    "31942611251300060000000006": "898430000006006",
    "31942611251300070000000007": "898350000007007",
    "31942611251300080000000008": "898370000008008",
    "31942611251300090000000009": "898320500009009",
    "31942611251300100000000010": "898340000010010",
    "31942611251300110000000011": "898530000011011",
    "31942611251300120000000012": "898230000012012",
    "31942611251300130000000013": "898210000013013",
}


def command(qr: str) -> str:
    return f"{MIDS.get(qr, MID)} {qr}"


@pytest.fixture
def sandbox() -> RecordingSandbox:
    """The sandbox, noting each request (the bills/query bodies are checked)."""
    return RecordingSandbox()


def bills_bodies(sandbox: RecordingSandbox) -> list[dict[str, object]]:
    return [json.loads(body) for _, path, _, body in sandbox.seen if path == BILLS]


@pytest.mark.parametrize(
    ("qr", "says"),
    [
        ("31942002268195125132885377", ["*Paid*", "via Alipay"]),
        ("31942611251300010000000001", ["*Not paid*"]),
        ("31942611251300020000000002", ["*Refunded*", "via WeChat Pay"]),
        ("31942611251300030000000003", ["*Closed*"]),
        ("31942611251300040000000004", ["*Paid*", "a refund is under way"]),
        ("31942611251300050000000005", ["*Paid*", "via WeChat Pay"]),
        ("31942611251300060000000006", ["*Paid*", "via UnionPay"]),
        ("31942611251300070000000007", ["*Paid*"]),
        ("31942611251300080000000008", ["Status `PARTIAL_REFUND`"]),
        ("31942611251300130000000013", ["*Paid*", "via WeChat Pay"]),
    ],
    ids=[
        "paid-alipay",
        "unpaid",
        "refunded",
        "closed",
        "refund-under-way",
        "paid-wechat",
        "paid-unionpay",
        "paid-json-string",
        "unknown-status",
        "paid-unreadable-time",
    ],
)
async def test_the_card_says_how_the_bill_stands(
    make_app: AppFactory, sink: ResponseSink, qr: str, says: list[str]
) -> None:
    said = all_text(await ask(make_app(), sink, command(qr)))
    assert "*Payment*" in said
    for words in says:
        assert words in said


async def test_bills_query_is_asked_with_the_bills_own_fields(
    make_app: AppFactory, sink: ResponseSink, sandbox: RecordingSandbox
) -> None:
    """The bill's own date, terminal and institution, as query-qrcode-info gave them;
    no systemId (it belongs to the QR call)."""
    await ask(make_app(), sink, f"{MID} 31942002268195125132885377")
    [body] = bills_bodies(sandbox)
    assert {k: body[k] for k in ("mid", "tid", "instMid", "billNo", "billDate")} == {
        "mid": MID,
        "tid": "00000001",
        "instMid": "QRPAYDEFAULT",
        "billNo": "10A31689733046250",
        "billDate": "2020-02-26",
    }
    assert "systemId" not in body


async def test_a_code_without_a_bill_number_makes_no_second_call(
    make_app: AppFactory, sink: ResponseSink, sandbox: RecordingSandbox
) -> None:
    said = all_text(await ask(make_app(), sink, command("31942611251300120000000012")))
    assert "*Payment*" not in said
    assert sandbox.query_requests == 1
    assert sandbox.bill_requests == 0


@pytest.mark.parametrize(
    "qr",
    ["31942611251300090000000009", "31942611251300100000000010", "31942611251300110000000011"],
    ids=["fails-502", "busy", "hangs"],
)
async def test_a_failing_or_slow_bills_query_still_gives_the_card(
    make_app: AppFactory, sink: ResponseSink, qr: str
) -> None:
    """The QR facts come, with the status unavailable; the lookup itself is found."""
    app = make_app(chinaums_payment_timeout=0.3)
    payload = await ask(app, sink, command(qr))
    said = all_text(payload)
    assert payload["blocks"][0]["type"] == "header"
    assert "Payment status unavailable" in said
    assert "¥" in said


async def test_no_such_bill_is_said_as_such(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    sandbox.fixtures.bills.pop((MID, "10A31689733046250"))
    said = all_text(await ask(make_app(), sink, f"{MID} 31942002268195125132885377"))
    assert "No bill found for this bill number" in said


async def test_the_payment_status_is_not_asked_when_turned_off(
    make_app: AppFactory, sink: ResponseSink, sandbox: RecordingSandbox
) -> None:
    said = all_text(
        await ask(make_app(chinaums_payment_timeout=0), sink, f"{MID} 31942002268195125132885377")
    )
    assert "*Payment*" not in said
    assert sandbox.bill_requests == 0


async def test_an_unavailable_status_is_not_kept_for_the_next_lookup(
    make_app: AppFactory, sink: ResponseSink, sandbox: RecordingSandbox
) -> None:
    """A double click after a failed bills/query asks again: a failure is never remembered
    as if it were an answer."""
    app = make_app(chinaums_payment_timeout=0.3)
    for _ in range(2):
        await ask(app, sink, command("31942611251300100000000010"))
    assert sandbox.query_requests == 2


async def test_a_paid_status_is_kept_with_its_answer_for_a_double_click(
    make_app: AppFactory, sink: ResponseSink, sandbox: RecordingSandbox
) -> None:
    app = make_app()
    for _ in range(2):
        said = all_text(await ask(app, sink, f"{MID} 31942002268195125132885377"))
        assert "*Paid*" in said
    assert (sandbox.query_requests, sandbox.bill_requests) == (1, 1)


def button_value(payload: dict[str, Any], action: str) -> str:
    [value] = [
        element["value"]
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action
    ]
    return str(value)


async def test_an_operators_raw_reply_shows_both_replies(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app(qrinfo_operators=DEMO_USER)
    card = await ask(app, sink, f"{MID} 31942002268195125132885377")
    said = all_text(await click(app, sink, RAW_REPLY_ACTION, button_value(card, RAW_REPLY_ACTION)))
    assert "查询二维码静态信息成功" in said  # the QR reply
    assert "Payment status: bills/query" in said
    assert '\\"billStatus\\": \\"PAID\\"' in said  # the bills reply, as it came


async def test_refresh_asks_both_again(
    make_app: AppFactory, sink: ResponseSink, sandbox: RecordingSandbox
) -> None:
    app = make_app()
    card = await ask(app, sink, f"{MID} 31942002268195125132885377")
    refreshed = await click(app, sink, REFRESH_ACTION, button_value(card, REFRESH_ACTION))
    assert "*Paid*" in all_text(refreshed)
    assert (sandbox.query_requests, sandbox.bill_requests) == (2, 2)


async def test_the_batch_card_has_a_payment_word_on_each_found_line(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    codes = ["31942002268195125132885377", "31942611251300120000000012"]
    said = all_text(await ask(make_app(), sink, f"{MID} {' '.join(codes)}"))
    assert said.count("*paid*") == 1  # the seed's bill; the other code names no bill
