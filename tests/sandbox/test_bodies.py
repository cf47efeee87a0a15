"""The sandbox's body checks (bot/sandbox/bodies.py): the first problem of a
query-qrcode-info or bills/query body, as the gateway's (errCode, errMsg)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.gateway.signing import body_timestamp
from bot.sandbox.bodies import bills_body_problem, qrcode_body_problem, timestamp_problem
from tests.sandbox.helpers import NOW, SEED_BILL_NO, SEED_MID, SEED_QR

QR_BODY = {"requestTimestamp": body_timestamp(NOW), "mid": SEED_MID, "qrCodeId": SEED_QR}
BILL_BODY = {
    "requestTimestamp": body_timestamp(NOW),
    "mid": SEED_MID,
    "tid": "00000001",
    "instMid": "QRPAYDEFAULT",
    "billNo": SEED_BILL_NO,
    "billDate": "2020-02-26",
    "msgId": "m-1",
    "srcReserve": "测试",
}


def test_well_formed_bodies_have_no_problem() -> None:
    assert qrcode_body_problem(QR_BODY | {"systemId": "35325423"}, NOW) is None
    assert bills_body_problem(BILL_BODY, NOW) is None


@pytest.mark.parametrize(
    ("stamp", "code"),
    [
        (None, "BAD_REQUEST"),
        ("20261125120000", "BAD_REQUEST"),
        (body_timestamp(NOW + timedelta(minutes=6)), "ABNORMAL_REQUEST_TIME"),
        (body_timestamp(NOW - timedelta(minutes=4)), None),
    ],
    ids=["missing", "header-format", "six-minutes-ahead", "four-minutes-behind"],
)
def test_the_request_timestamp_is_beijing_time_within_five_minutes(
    stamp: str | None, code: str | None
) -> None:
    problem = timestamp_problem({"requestTimestamp": stamp} if stamp else {}, NOW)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"systemId": "35325423"}, "systemId"),
        ({"tid": None}, "tid"),
        ({"instMid": "QRPAY DEFAULT"}, "instMid"),
        ({"billNo": "x" * 33}, "billNo"),
        ({"billDate": None}, "billDate"),
        ({"billDate": "2020-2-26"}, "billDate"),
        ({"billDate": "2020-02-30"}, "billDate"),
        ({"msgId": "m" * 65}, "msgId"),
        ({"srcReserve": 7}, "srcReserve"),
    ],
    ids=[
        "system-id",
        "no-tid",
        "space",
        "long-number",
        "no-date",
        "short-date",
        "no-such-day",
        "long-msg-id",
        "number",
    ],
)
def test_a_bills_body_problem_names_its_field(fields: dict[str, Any], named: str) -> None:
    body = {k: v for k, v in (BILL_BODY | fields).items() if v is not None}
    problem = bills_body_problem(body, NOW)
    assert problem is not None
    assert problem[0] == "BAD_REQUEST"
    assert named in problem[1]


def test_a_qr_body_problem_names_its_field() -> None:
    problem = qrcode_body_problem(QR_BODY | {"qrCodeId": "3194-2002"}, NOW)
    assert problem == ("BAD_REQUEST", "qrCodeId格式错误 (qrCodeId is malformed)")
