"""A chat message's text -> the merchant number and QR code it shows, to pre-fill the
form the message shortcut opens: only what is certain, never a guess."""

from __future__ import annotations

import pytest

from bot.slack.reading.message import MESSAGE_CHARS, find_in_message, message_text

MID = "898340149000005"
QR = "31942002268195125132885377"
URL = f"https://qr.95516.com/48020000/{QR}"

OTHER_MID = "898310058120123"


IN_MESSAGES = [
    ("issue-example", "商户号：898340149000005，二维码：31942002268195125132885377。", (MID, QR)),
    ("labelled-mid-among-numbers", f"商户号：{MID}，refund to {OTHER_MID}，{URL}", (MID, URL)),
    ("labelled-mid-ascii", f"refund from {OTHER_MID}; mid={MID}", (MID, None)),
    ("labels-in-a-sentence", f"请查一下商户号：{MID}的二维码：{QR}，谢谢", (MID, QR)),
    (
        "url-beats-labelled-id",
        f"二维码：{'4' * 26} {URL} 商户号：{MID}，refund to {OTHER_MID}",
        (MID, URL),
    ),
    (
        "labelled-id-is-not-a-mid",
        f"二维码：123456789012345 {OTHER_MID}",
        (OTHER_MID, "123456789012345"),
    ),
    ("two-labelled-mids-fill-none", f"商户号：12345678 商户号：87654321 {MID}", (None, None)),
    (
        "url-with-an-id-no-gateway-takes",
        f"https://qr.95516.com/48020000/{'a' * 3100}",
        (None, None),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(t, e) for _, t, e in IN_MESSAGES],
    ids=[i for i, _, _ in IN_MESSAGES],
)
def test_message_prefill_reads_labelled_values(
    text: str, expected: tuple[str | None, str | None]
) -> None:
    """A labelled merchant number or QR code id is found even among other numbers, never guessed."""
    assert find_in_message(text) == expected


def test_a_lone_merchant_number_and_a_pasted_url_are_found() -> None:
    """The URL whole (its host names the environment), the one 15-digit number as the mid."""
    test_url = f"https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}"
    assert find_in_message(f"please check {MID} <{test_url}&amp;x=1>") == (MID, test_url)


def test_a_url_without_its_scheme_is_filled_in_as_https() -> None:
    assert find_in_message(f"qr.95516.com/48020000/{QR}") == (None, URL)


def test_two_unlabelled_merchant_numbers_fill_in_neither() -> None:
    assert find_in_message(f"{MID} or 898310058120123?") == (None, None)


def test_a_label_without_a_digit_in_its_value_finds_nothing() -> None:
    assert find_in_message("mid: see below, merchant: merchants") == (None, None)


def test_the_message_shortcut_scans_at_most_a_slack_messages_worth_of_text() -> None:
    """However many attachments a message carries, at most 40,000 characters are scanned."""
    message = {"text": "x" * 30_000, "attachments": [{"text": "y" * 30_000}] * 5}
    assert len(message_text(message)) == MESSAGE_CHARS == 40_000


def test_the_scan_reads_the_text_and_each_attachments_text_fallback_and_link() -> None:
    message = {
        "text": "a",
        "attachments": [{"text": "b", "fallback": "c", "title_link": "d"}, "not a dict"],
    }
    assert message_text(message) == "a\nb\nc\nd"
    assert message_text({"attachments": "x"}) == ""
