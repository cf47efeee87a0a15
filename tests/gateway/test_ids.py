"""The local checks on merchant numbers and QR code ids (bot/gateway/ids.py): what passes is
stripped, what fails raises InvalidInput naming the field, what is expected and an example."""

from __future__ import annotations

import pytest

from bot.gateway.errors import InvalidInput
from bot.gateway.ids import (
    MID_EXAMPLE,
    QR_CODE_ID_EXAMPLE,
    QrCodeRef,
    check_mid,
    check_qr_code_id,
)


@pytest.mark.parametrize(
    "mid", ["898340149000005", "12345678", "ABCdef123456789", "  898340149000005\n"]
)
def test_a_possible_merchant_number_passes_stripped(mid: str) -> None:
    assert check_mid(mid) == mid.strip()


@pytest.mark.parametrize(
    "mid",
    ["", "1234567", "8983401490000051", "898 340149000005", "898340-49000005", "商户12345678"],
)
def test_an_impossible_merchant_number_is_invalid_input_for_mid(mid: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_mid(mid)
    assert caught.value.field == "mid"
    assert caught.value.example == MID_EXAMPLE
    assert "8 to 15" in caught.value.expected


@pytest.mark.parametrize(
    "qr", [QR_CODE_ID_EXAMPLE, "147G2002268195125132885377", "A" * 8, "9" * 32]
)
def test_a_possible_qr_code_id_passes_stripped(qr: str) -> None:
    assert check_qr_code_id(f" {qr} ") == qr


@pytest.mark.parametrize("qr", ["", "1234567", "9" * 33, "3194-2002268195125132885377"])
def test_an_impossible_qr_code_id_is_invalid_input_for_qr_code_id(qr: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_qr_code_id(qr)
    assert caught.value.field == "qrCodeId"
    assert caught.value.example == QR_CODE_ID_EXAMPLE
    assert str(caught.value).startswith("qrCodeId: expected a QR code id of 8 to 32")


def test_a_checked_ref_holds_both_values_stripped_and_its_gateway() -> None:
    ref = QrCodeRef.checked(" 898340149000005", f"{QR_CODE_ID_EXAMPLE} ", env="prod")
    assert ref == QrCodeRef(mid="898340149000005", qr_code_id=QR_CODE_ID_EXAMPLE, env="prod")


def test_a_checked_ref_names_the_merchant_number_first_when_both_are_wrong() -> None:
    with pytest.raises(InvalidInput) as caught:
        QrCodeRef.checked("x", "y")
    assert caught.value.field == "mid"


def test_a_ref_without_a_gateway_uses_the_default_one() -> None:
    assert QrCodeRef.checked(MID_EXAMPLE, QR_CODE_ID_EXAMPLE).env is None
