"""The sandbox's known QR codes (bot/sandbox/fixtures.py): what fixtures.json holds, how a
document is parsed (a malformed entry fails naming it), found (by id, then by a family's
prefix) and answered (a fresh copy, relative expiries, a family's id filled in)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.bills import BillInfo, BillRef
from bot.gateway.models import QrCodeInfo
from bot.gateway.signing import BEIJING
from bot.sandbox.fixtures import (
    SEED_QR_CODE_ID,
    FixtureBill,
    FixtureCode,
    load_fixtures,
    parse_fixtures,
)
from bot.sandbox.gateway import SandboxGateway
from tests.gateway.helpers import SEED_REPLY
from tests.sandbox.helpers import NOW, SEED_MID, SEED_QR

SEED_ENTRY = {"qrCodeId": SEED_QR_CODE_ID, "reply": {"errCode": "SUCCESS", "mid": SEED_MID}}


def document(**parts: Any) -> dict[str, Any]:
    return {"codes": [SEED_ENTRY]} | parts


# --- what fixtures.json holds -------------------------------------------------------------------


def test_every_fixture_reply_parses_with_the_client_model(sandbox: SandboxGateway) -> None:
    """What the sandbox serves is what the client can read."""
    for code in sandbox.fixtures.codes.values():
        info = QrCodeInfo.model_validate(code.reply_at(NOW))
        assert info.err_code == "SUCCESS"
        assert info.mid
        assert info.mer_name


def test_fixtures_cover_the_shapes_real_codes_take(sandbox: SandboxGateway) -> None:
    """Current URLs, letter prefixes, expired, one-time, goods lists, numbers, installments."""
    infos = {
        qr: (code, QrCodeInfo.model_validate(code.reply_at(NOW)))
        for qr, code in sandbox.fixtures.codes.items()
    }
    now = NOW.astimezone(BEIJING)
    checks: dict[str, Callable[[FixtureCode, QrCodeInfo], bool]] = {
        "current url": lambda c, i: (i.qr_code_url or "").startswith(
            "https://qr.95516.com/48020000/"
        ),
        "letter prefix": lambda c, i: not c.qr_code_id[:4].isdigit(),
        "expired": lambda c, i: i.expire_time is not None and i.expire_time < now,
        "one-time 30 min": lambda c, i: c.expires_in_minutes == 30,
        "many goods": lambda c, i: len(i.goods) >= 20,
        "no goods": lambda c, i: not i.goods,
        "json numbers": lambda c, i: isinstance(c.reply.get("totalAmount"), int),
        "installments": lambda c, i: i.installment_number is not None and i.mid != SEED_MID,
        "chinese names": lambda c, i: any("\u4e00" <= ch <= "\u9fff" for ch in i.mer_name or ""),
    }
    for name, check in checks.items():
        assert any(check(c, i) for c, i in infos.values()), name


def test_the_seed_fixture_is_the_sample_exactly(sandbox: SandboxGateway) -> None:
    """The seed's sample reply is stored field for field as the provider's page shows it."""
    assert sandbox.fixtures.codes[SEED_QR].reply == SEED_REPLY


def test_the_packaged_fixtures_hold_the_seed_faults_and_a_family() -> None:
    fixtures = load_fixtures()
    assert fixtures.seed_id == SEED_QR_CODE_ID
    assert set(fixtures.faults.values()) == {"hang", "5xx", "malformed", "slow", "flaky"}
    assert fixtures.families


# --- parsing a document -----------------------------------------------------------------------


def test_a_document_of_the_same_shape_is_loaded_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(document(faults={"X1": "hang"})), "utf-8")
    fixtures = load_fixtures(path)
    assert list(fixtures.codes) == [SEED_QR_CODE_ID]
    assert fixtures.faults == {"X1": "hang"}
    assert fixtures.families == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (document(codes=[SEED_ENTRY, {"qrCodeId": "X1"}]), "codes[1] lacks 'reply'"),
        (document(codes=[SEED_ENTRY, SEED_ENTRY]), f"qrCodeId {SEED_QR_CODE_ID} appears twice"),
        (
            document(codes=[SEED_ENTRY, {"qrCodeId": "X1", "reply": {"errCode": "SUCCESS"}}]),
            "codes[1] reply has no mid",
        ),
        (document(faults={"X1": "explode"}), "fault 'explode' for X1 is not one of"),
        (document(codes=[]), f"the seed's code {SEED_QR_CODE_ID} is missing"),
    ],
    ids=["no-reply", "twice", "no-mid", "unknown-fault", "no-seed"],
)
def test_a_malformed_document_fails_naming_the_entry(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=r"^fixtures: ") as caught:
        parse_fixtures(data)
    assert message in str(caught.value)


# --- finding and answering ----------------------------------------------------------------------


FAMILY = {
    "qrCodeIdPrefix": "BNCH",
    "reply": {"errCode": "SUCCESS", "mid": SEED_MID, "billNo": "bill-{qrCodeId}", "n": 1},
}


def test_a_code_is_found_by_its_id_then_by_a_familys_prefix() -> None:
    fixtures = parse_fixtures(document(families=[FAMILY]))
    assert fixtures.find(SEED_QR_CODE_ID) is fixtures.codes[SEED_QR_CODE_ID]
    family = fixtures.find("BNCH0000000000000000000042")
    assert family is not None
    assert family.prefix
    assert fixtures.find("NOPE0000000000000000000042") is None


def test_a_family_answers_with_the_id_asked_in_its_strings() -> None:
    family = parse_fixtures(document(families=[FAMILY])).families[0]
    reply = family.reply_at(NOW, "BNCH42")
    assert reply["billNo"] == "bill-BNCH42"
    assert reply["n"] == 1
    assert family.reply["billNo"] == "bill-{qrCodeId}"  # the fixture itself is untouched


def test_each_reply_is_a_fresh_copy() -> None:
    code = parse_fixtures(document()).codes[SEED_QR_CODE_ID]
    code.reply_at(NOW)["mid"] = "changed"
    assert code.reply_at(NOW)["mid"] == SEED_MID


def test_a_relative_expiry_is_that_many_minutes_after_now_in_beijing() -> None:
    entry = {"qrCodeId": "X1", "reply": {"mid": "1"}, "expiresInMinutes": 90}
    code = parse_fixtures(document(codes=[SEED_ENTRY, entry])).codes["X1"]
    assert code.reply_at(NOW)["expireTime"] == "2026-11-25 13:30:00"  # NOW is 12:00 in Beijing
    assert "expireTime" not in parse_fixtures(document()).codes[SEED_QR_CODE_ID].reply_at(NOW)


def test_a_code_whose_mid_is_not_text_has_no_mid() -> None:
    code = FixtureCode(qr_code_id="X1", note="", reply={"mid": 898340149000005})
    assert code.mid is None


# --- bills ----------------------------------------------------------------------------------------

BILLED = {
    "errCode": "SUCCESS",
    "mid": SEED_MID,
    "tid": "00000001",
    "instMid": "QRPAYDEFAULT",
    "billNo": "B1",
    "billDate": "2026-11-25",
    "totalAmount": "300",
}


def billed(qr: str = "X1", bill: dict[str, Any] | None = None, **reply: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"qrCodeId": qr, "reply": BILLED | reply}
    return entry | ({"bill": bill} if bill is not None else {})


def test_every_packaged_code_that_names_a_bill_has_it_and_its_reply_reads() -> None:
    fixtures = load_fixtures()
    for code in fixtures.codes.values():
        ref = BillRef.of(QrCodeInfo.model_validate(code.reply_at(NOW)))
        if ref is None:
            continue
        bill = fixtures.find_bill(ref.mid, ref.bill_no)
        assert bill is not None, code.qr_code_id
        asked = {"billDate": ref.bill_date.isoformat(), "tid": ref.tid, "instMid": ref.inst_mid}
        assert bill.matches(asked), code.qr_code_id
        assert BillInfo.model_validate(bill.reply()).err_code in ("SUCCESS", "SYSTEM_BUSY")


def test_the_packaged_bills_cover_every_state_wallet_and_shape() -> None:
    bills = list(load_fixtures().bills.values())
    statuses = {b.status for b in bills}
    assert {"PAID", "UNPAID", "REFUND", "CLOSED", "PARTIAL_REFUND"} <= statuses
    wallets = {(b.payment or {}).get("targetSys") for b in bills}
    assert {"Alipay 2.0", "WXPay", "UNIONPAY"} <= wallets
    assert any(b.payment_as_text for b in bills)
    assert {b.fault for b in bills} >= {"5xx", "hang"}
    assert any(b.answer is not None for b in bills)


def test_the_seeds_bill_is_paid_by_alipay() -> None:
    bill = load_fixtures().find_bill(SEED_MID, "10A31689733046250")
    assert bill is not None
    assert (bill.status, (bill.payment or {}).get("targetSys")) == ("PAID", "Alipay 2.0")


def test_a_bill_says_nothing_is_unpaid_and_a_code_naming_none_has_none() -> None:
    no_bill = {"qrCodeId": "X2", "reply": {"errCode": "SUCCESS", "mid": "898000000000002"}}
    fixtures = parse_fixtures(document(codes=[SEED_ENTRY, billed(), no_bill]))
    assert list(fixtures.bills) == [(SEED_MID, "B1")]
    bill = fixtures.bills[(SEED_MID, "B1")]
    assert (bill.status, bill.payment, bill.fault, bill.answer) == ("UNPAID", None, None, None)
    assert bill.reply()["totalAmount"] == 300  # a string of digits goes out as a number
    assert "billPayment" not in bill.reply()


def test_a_familys_bill_is_found_unless_its_number_varies_by_code() -> None:
    fixed = parse_fixtures(document(families=[FAMILY | {"reply": BILLED}]))
    assert fixed.find_bill(SEED_MID, "B1") is not None
    varying = parse_fixtures(document(families=[FAMILY]))  # billNo "bill-{qrCodeId}"
    assert varying.bills == {}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([billed(), billed("X2")], "codes[2] billNo B1 of mid 898340149000005 appears twice"),
        ([billed(billNo=None, bill={"billStatus": "PAID"})], "codes[1] has a bill but"),
        ([billed(bill={"billStatus": 1})], "codes[1] bill needs a text billStatus"),
        ([billed(bill={"billPayment": "x"})], "codes[1] bill needs a text billStatus"),
        ([billed(bill={"fault": "explode"})], "codes[1] bill fault 'explode' is not one of"),
    ],
    ids=["twice", "bill-without-number", "status-not-text", "payment-not-object", "bad-fault"],
)
def test_a_malformed_bill_fails_naming_its_entry(
    entries: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=r"^fixtures: ") as caught:
        parse_fixtures(document(codes=[SEED_ENTRY, *entries]))
    assert message in str(caught.value)


def bill_with(**state: Any) -> FixtureBill:
    return FixtureBill(SEED_MID, "00000001", "QRPAYDEFAULT", "B1", "2026-11-25", "300", **state)


def test_a_payment_gets_the_fields_the_provider_adds_unless_the_fixture_gives_them() -> None:
    payment = bill_with(status="PAID", payment={"payTime": "2026-11-25 12:01:02"}).reply()
    assert payment["billPayment"] == {
        "payTime": "2026-11-25 12:01:02",
        "settleDate": "2026-11-25",
        "totalAmount": 300,
        "buyerPayAmount": 300,
        "merOrderId": "B11",
        "billBizType": "bills",
    }
    given = bill_with(payment={"payTime": "odd", "merOrderId": "M"}).reply()["billPayment"]
    assert given["merOrderId"] == "M"
    assert "settleDate" not in given


def test_a_payment_as_text_is_the_json_of_the_object() -> None:
    as_text = bill_with(payment={"targetSys": "WXPay"}, payment_as_text=True).reply()
    as_object = bill_with(payment={"targetSys": "WXPay"}).reply()
    assert json.loads(as_text["billPayment"]) == as_object["billPayment"]


def test_an_answer_replaces_the_bill() -> None:
    assert bill_with(answer=("SYSTEM_BUSY", "忙")).reply() == {
        "errCode": "SYSTEM_BUSY",
        "errMsg": "忙",
    }


def test_a_bills_fault_is_triggered_by_its_own_key_beside_the_codes() -> None:
    fixtures = parse_fixtures(
        document(codes=[SEED_ENTRY, billed(bill={"fault": "hang"})], faults={"B1": "5xx"})
    )
    assert fixtures.fault_triggers() == {"B1": "5xx", f"bill:{SEED_MID}:B1": "hang"}


def test_a_bill_matches_only_its_own_date_tid_and_inst_mid() -> None:
    bill = bill_with()
    asked = {"billDate": "2026-11-25", "tid": "00000001", "instMid": "QRPAYDEFAULT"}
    assert bill.matches(asked)
    for name, other in (("billDate", "2026-11-24"), ("tid", "00000002"), ("instMid", "X")):
        assert not bill.matches(asked | {name: other})
