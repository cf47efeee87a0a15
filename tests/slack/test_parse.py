"""The /qrinfo argument parser, as a table of what people type."""

from __future__ import annotations

import pytest

from bot.slack.parse import HelpRequest, Lookup, UsageError, parse_command, qr_code_id_from_url

MID = "898340149000005"
QR = "31942002268195125132885377"
SEED = Lookup(mid=MID, qr_code_id=QR)

ACCEPTED = [
    ("plain", f"{MID} {QR}", SEED),
    ("reversed", f"{QR} {MID}", SEED),
    ("extra-spaces", f"   {MID}    {QR}  ", SEED),
    ("full-width-space", f"{MID}\u3000{QR}", SEED),
    ("full-width-digits", "８９８３４０１４９０００００５ " + QR, SEED),
    ("tab-and-newline", f"{MID}\t\n{QR}", SEED),
    ("comma", f"{MID},{QR}", SEED),
    ("chinese-comma", f"{MID}，{QR}", SEED),
    ("zero-width", f"{MID}\u200b {QR}\ufeff", SEED),
    ("new-url", f"{MID} https://qr.95516.com/48020000/{QR}", SEED),
    ("new-url-first", f"https://qr.95516.com/48020000/{QR} {MID}", SEED),
    ("slack-link", f"{MID} <https://qr.95516.com/48020000/{QR}>", SEED),
    (
        "slack-link-label",
        f"{MID} <https://qr.95516.com/48020000/{QR}|qr.95516.com/48020000/{QR}>",
        SEED,
    ),
    (
        "slack-link-label-with-spaces",
        f"{MID} <https://qr.95516.com/48020000/{QR}|the QR code>",
        SEED,
    ),
    ("old-url", f"{MID} https://qr.chinaums.com/bills/qrCode.do?id={QR}", SEED),
    ("old-test-host", f"{MID} https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}", SEED),
    (
        "old-url-escaped-amp",
        f"{MID} <https://qr.chinaums.com/bills/qrCode.do?id={QR}&amp;x=1>",
        SEED,
    ),
    ("url-without-scheme", f"{MID} qr.95516.com/48020000/{QR}", SEED),
    (
        "letter-prefix",
        f"{MID} 147G2002268195125132885377",
        Lookup(MID, "147G2002268195125132885377"),
    ),
    ("short-both-keeps-order", "12345678 87654321", Lookup("12345678", "87654321")),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in ACCEPTED], ids=[i for i, _, _ in ACCEPTED]
)
def test_accepted_forms_give_the_lookup(text: str, expected: Lookup) -> None:
    """Each way people type a lookup gives the same mid and qrCodeId."""
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?", "帮助", "\u3000"])
def test_empty_or_help_asks_for_help(text: str) -> None:
    """Nothing, or a help word, is a help request."""
    assert parse_command(text) == HelpRequest()


REJECTED = [
    ("one-argument", MID, "one argument"),
    ("three-arguments", f"{MID} {QR} extra", "3 arguments"),
    ("url-alone", f"https://qr.95516.com/48020000/{QR}", "merchant number"),
    (
        "two-urls",
        f"https://qr.95516.com/48020000/{QR} https://qr.95516.com/48020000/{QR}",
        "two URLs",
    ),
    ("foreign-url", f"{MID} https://example.com/48020000/{QR}", "not a Chinaums QR code URL"),
    ("javascript-url", f"{MID} javascript://alert(1)", "not a Chinaums QR code URL"),
    ("dash-in-mid", f"898-340149000005 {QR}", "merchant number"),
    ("mid-too-long", f"8983401490000051 {QR}", "merchant number"),
    ("sql-in-id", f"{MID} 3194'OR'1'='1", "QR code id"),
    ("id-too-long", f"{MID} {'3' * 33}", "QR code id"),
    ("chinese-in-id", f"{MID} 二维码二维码二维码", "QR code id"),
    ("mention", f"{MID} <@U123ABC>", "QR code id"),
]


@pytest.mark.parametrize(
    ("text", "says"), [(t, s) for _, t, s in REJECTED], ids=[i for i, _, _ in REJECTED]
)
def test_rejected_forms_say_what_was_wrong(text: str, says: str) -> None:
    """Input no gateway would accept raises UsageError whose message says what was expected."""
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert says in caught.value.problem


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
