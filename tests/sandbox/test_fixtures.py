"""The sandbox's known QR codes (bot/sandbox/fixtures.py): what fixtures.json holds, how a
document is parsed (a malformed entry fails naming it), found (by id, then by a family's
prefix) and answered (a fresh copy, relative expiries, a family's id filled in)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.gateway.models import QrCodeInfo
from bot.gateway.signing import BEIJING
from bot.sandbox.fixtures import SEED_QR_CODE_ID, FixtureCode, load_fixtures, parse_fixtures
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
