"""One typed value checked as the gateway client checks it: a merchant number, a QR code
id, a QR URL's id and the environment its host names; what is wrong says which value."""

from __future__ import annotations

import pytest

from bot.gateway.errors import InvalidInput
from bot.gateway.ids import QrCodeRef
from bot.slack.reading.checked import (
    URL_EXAMPLE,
    checked_ref,
    env_of,
    expected,
    id_from_url_token,
    looks_like_a_mid,
    qr_code_id,
    qr_value,
    with_scheme,
)
from bot.slack.reading.pasted import UsageError

MID = "898340149000005"
QR = "31942002268195125132885377"
TEST_URL = f"qr-test2.chinaums.com/bills/qrCode.do?id={QR}"


def test_a_checked_ref_is_normalised_and_keeps_its_gateway() -> None:
    assert checked_ref("８９８３４０１４９０００００５", QR, "test") == QrCodeRef(MID, QR, "test")


@pytest.mark.parametrize(
    ("mid", "qr", "field", "shown"),
    [("8-9", QR, "mid", "`8-9`"), (MID, "x" * 60, "qrCodeId", f"`{'x' * 40}`")],
    ids=["mid", "qr-clipped-to-40"],
)
def test_a_value_the_gateway_would_refuse_names_itself_and_its_field(
    mid: str, qr: str, field: str, shown: str
) -> None:
    with pytest.raises(UsageError) as caught:
        checked_ref(mid, qr)
    assert caught.value.field == field
    assert str(caught.value.problem).startswith(f"{shown} is not ")


def test_expected_says_what_and_gives_the_example() -> None:
    error = InvalidInput(field="mid", expected="a merchant number", example="898340149000005")
    assert str(expected(error)) == "Expected a merchant number, for example 898340149000005."


def test_a_mid_is_what_the_gateway_takes_as_one() -> None:
    assert looks_like_a_mid(MID)
    assert not looks_like_a_mid(QR)


def test_a_qr_value_is_an_id_or_a_urls_id_with_its_environment() -> None:
    assert qr_value(QR, named=False) == (QR, None)
    assert qr_value(TEST_URL, named=False) == (QR, "test")
    assert qr_code_id(f"https://{TEST_URL}") == QR
    assert qr_code_id(QR) == QR


def test_a_bad_value_of_a_list_is_named_and_alone_is_the_checks_own_error() -> None:
    """named (one of a list): a UsageError naming it; alone: the error as raised."""
    with pytest.raises(InvalidInput):
        qr_value("3194-bad", named=False)
    with pytest.raises(UsageError) as caught:
        qr_value("3194-bad", named=True)
    assert "`3194-bad` is not a QR code id" in str(caught.value.problem)
    with pytest.raises(UsageError) as foreign:
        qr_value("https://evil.example/x", named=True)
    assert "`https://evil.example/x` is not a Chinaums QR code URL" in str(foreign.value.problem)


def test_a_foreign_url_is_refused_with_the_shapes_expected() -> None:
    with pytest.raises(UsageError) as caught:
        id_from_url_token("https://evil.example/48020000/" + QR)
    assert caught.value.field == "qrCodeId"
    assert URL_EXAMPLE in str(caught.value.problem)


def test_the_first_url_naming_an_environment_names_it() -> None:
    assert env_of([f"https://qr.95516.com/48020000/{QR}", TEST_URL]) == "prod"
    assert env_of(["https://evil.example/x", TEST_URL]) == "test"
    assert env_of([]) is None


def test_a_url_pasted_without_its_scheme_reads_as_https() -> None:
    assert with_scheme("qr.95516.com/x") == "https://qr.95516.com/x"
    assert with_scheme("http://qr.95516.com/x") == "http://qr.95516.com/x"
