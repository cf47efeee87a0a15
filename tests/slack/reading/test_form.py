"""The lookup form's two fields, read with the command's rules; what is wrong is said per
field (FormErrors), so both can be shown inline at once."""

from __future__ import annotations

import pytest

from bot.gateway.ids import QrCodeRef
from bot.slack.reading.form import FormErrors, parse_form
from bot.slack.reading.pasted import BatchRequest

MID = "898340149000005"
QR = "31942002268195125132885377"
OTHER = "31942611251400310000445566"
URL = f"https://qr.95516.com/48020000/{QR}"
SEED = QrCodeRef(mid=MID, qr_code_id=QR)
PROD = QrCodeRef(mid=MID, qr_code_id=QR, env="prod")


FORM_ACCEPTED = [
    ("labelled-mid", f"商户号：{MID}", QR),
    ("quoted-mid", f"“{MID}”", QR),
    ("labelled-id", MID, f"二维码：{QR}"),
    ("bracketed-id", MID, f"【{QR}】"),
    ("labelled-url", MID, f"二维码：{URL}。"),
    ("both-labelled-ascii", f"mid={MID}", f"qrCodeId={QR}"),
]


@pytest.mark.parametrize(
    ("mid_text", "qr_text"),
    [(m, q) for _, m, q in FORM_ACCEPTED],
    ids=[i for i, _, _ in FORM_ACCEPTED],
)
def test_form_fields_accept_labels_and_wrapping(mid_text: str, qr_text: str) -> None:
    """A form field takes a pasted label or quotes around its value like the command does."""
    # (A URL's host names the environment.)
    assert parse_form(mid_text, qr_text) == (PROD if "://" in qr_text else SEED)


FORM_REFUSED = [
    ("id-label-in-mid-field", f"二维码：{QR}", QR, "mid", "labelled as the QR code id"),
    ("mid-label-in-id-field", MID, f"mid：{QR}", "qrCodeId", "labelled as the merchant number"),
    ("label-without-value", "商户号：", QR, "mid", "`商户号` has no value"),
    ("unknown-label", f"终端号：{MID}", QR, "mid", "`终端号` is not a label"),
    ("two-values-in-mid-field", f"{MID} {QR}", QR, "mid", "Expected one merchant number"),
]


@pytest.mark.parametrize(
    ("mid_text", "qr_text", "field", "says"),
    [row[1:] for row in FORM_REFUSED],
    ids=[row[0] for row in FORM_REFUSED],
)
def test_form_fields_refuse_wrong_or_missing_labels(
    mid_text: str, qr_text: str, field: str, says: str
) -> None:
    """A field whose label names the other field, or names nothing, gets that field's error only."""
    with pytest.raises(FormErrors) as caught:
        parse_form(mid_text, qr_text)
    assert list(caught.value.errors) == [field]
    assert says in str(caught.value.errors[field])


def test_the_form_takes_several_codes_one_per_line() -> None:
    """The form's QR field takes a list; a URL's host names its environment."""
    test_url = f"https://qr-test1.chinaums.com/bills/qrCode.do?id={OTHER}"
    batch = parse_form(MID, f"{QR}\n{test_url}\n{QR}\n")
    assert batch == BatchRequest((SEED, QrCodeRef(MID, OTHER, env="test")), duplicates=1)


def test_the_form_refuses_a_bad_code_in_a_list_and_more_than_twenty() -> None:
    """A bad code in the form's list is named; more than 20 is refused."""
    with pytest.raises(FormErrors) as caught:
        parse_form(MID, f"{QR}\n3194-bad")
    assert "`3194-bad` is not a QR code id of 8 to 32" in str(caught.value.errors["qrCodeId"])
    with pytest.raises(FormErrors) as caught:
        parse_form(MID, "\n".join(f"{n:026}" for n in range(21)))
    assert "That is 21 QR codes; look up at most 20 at once" in str(caught.value.errors["qrCodeId"])


def test_both_fields_at_fault_are_said_at_once() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form("", "")
    assert list(caught.value.errors) == ["mid", "qrCodeId"]
    assert "mid: " in str(caught.value)


def test_a_merchant_number_among_the_forms_codes_is_refused() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form(MID, f"{QR}\n898340149000006")
    assert "`898340149000006` looks like a merchant number" in str(caught.value.errors["qrCodeId"])


def test_one_code_typed_twice_in_the_form_is_the_single_lookup() -> None:
    assert parse_form(MID, f"{QR}\n{QR}") == SEED
