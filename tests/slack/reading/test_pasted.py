"""Reading text people paste: normalising, QR URLs and their environment, and values with
the chat labels that say which field they are."""

from __future__ import annotations

import pytest

from bot.slack.reading.pasted import (
    MID,
    QR_CODE_ID,
    UsageError,
    Value,
    env_of_url,
    is_url,
    normalise,
    qr_code_id_from_url,
    read_values,
)

QR = "31942002268195125132885377"


@pytest.mark.parametrize(
    ("url", "qr"),
    [
        (f"https://qr.95516.com/48020000/{QR}", QR),
        (f"https://qr.95516.com/48020000/{QR}/", QR),
        (f"https://QR.95516.COM/48020000/{QR}", QR),
        (f"https://qr-test3.chinaums.com/bills/qrCode.do?id={QR}", QR),
        (f"https://qr.chinaums.com/bills/qrCode.do?id={QR}&id=2", None),
        (f"https://qr.95516.com.evil.com/48020000/{QR}", None),
        (f"ftp://qr.95516.com/48020000/{QR}", None),
        ("https://qr.chinaums.com/bills/other.do?id=1", None),
    ],
    ids=[
        "new",
        "trailing-slash",
        "upper-host",
        "old-test3",
        "two-ids",
        "lookalike-host",
        "ftp",
        "other-path",
    ],
)
def test_qr_urls_yield_their_id_only_in_the_two_live_shapes(url: str, qr: str | None) -> None:
    """Only the provider's two URL shapes give an id; lookalikes give None."""
    assert qr_code_id_from_url(url) == qr


def test_normalise_makes_full_width_ascii_and_drops_zero_width_characters() -> None:
    assert normalise("\u3000８９８\u200b３，\ufeff ") == "8983,"


@pytest.mark.parametrize(
    ("url", "env"),
    [
        (f"https://qr-test1.chinaums.com/bills/qrCode.do?id={QR}", "test"),
        (f"https://QR-TEST3.chinaums.com/bills/qrCode.do?id={QR}", "test"),
        (f"https://qr.chinaums.com/bills/qrCode.do?id={QR}", "prod"),
        (f"https://qr.95516.com/48020000/{QR}", "prod"),
        ("https://evil.example/x", None),
        ("https://[::1/x", None),
    ],
)
def test_a_qr_urls_host_names_its_environment(url: str, env: str | None) -> None:
    assert env_of_url(url) == env


def test_a_url_is_a_scheme_or_a_qr_host_pasted_without_one() -> None:
    assert is_url("ftp://x")
    assert is_url(f"QR.95516.com/48020000/{QR}")
    assert not is_url("qr.95516.community")
    assert not is_url(QR)


def test_values_keep_their_order_and_the_field_their_label_gives() -> None:
    """A label before its value, glued to it, or with a separator; Slack's link syntax unwrapped."""
    assert read_values("商户号 898 qr=3194 <https://x.example/a|the label> 77") == [
        Value(MID, "898"),
        Value(QR_CODE_ID, "3194"),
        Value(None, "https://x.example/a"),
        Value(None, "77"),
    ]


def test_a_label_with_no_value_names_itself_and_its_field() -> None:
    with pytest.raises(UsageError) as caught:
        read_values("3194 二维码")
    assert caught.value.field == QR_CODE_ID
    assert "`二维码` has no value after it" in str(caught.value.problem)
