"""The step's inputs, read with the command's rules: a merchant number and one QR code."""

from __future__ import annotations

from typing import Any

import pytest

from bot.gateway.ids import QrCodeRef
from bot.slack.reading.step_inputs import StepInputError, read_step

MID, QR = "898340149000005", "31942002268195125132885377"


@pytest.mark.parametrize(
    ("mid", "qr", "ref"),
    [
        (MID, QR, QrCodeRef(MID, QR)),
        (f" 商户号：{MID} ", f"「{QR}」", QrCodeRef(MID, QR)),
        (MID, f"https://qr.95516.com/48020000/{QR}", QrCodeRef(MID, QR, env="prod")),
        (MID, f"https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}", QrCodeRef(MID, QR, "test")),
        (MID, f"<https://qr.95516.com/48020000/{QR}|the code>", QrCodeRef(MID, QR, env="prod")),
    ],
    ids=["ids", "labelled-and-quoted", "prod-url", "test-url", "slack-link"],
)
def test_the_inputs_are_read_as_the_command_reads_them(mid: str, qr: str, ref: QrCodeRef) -> None:
    """Labels, quotes, full-width marks and URLs (their host naming the environment)."""
    assert read_step({"merchant_no": mid, "qr_code": qr}) == ref


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        ({"qr_code": QR}, "merchant_no: no text given"),
        ({"merchant_no": MID, "qr_code": 7}, "qr_code: no text given"),
        (
            {"merchant_no": MID, "qr_code": "https://example.com/x"},
            "qr_code: That URL is not a Chinaums QR code URL. Expected "
            f"https://qr.95516.com/48020000/{QR} or https://qr.chinaums.com/bills/qrCode.do?id=…",
        ),
        (
            {"merchant_no": MID, "qr_code": f"{QR} 31942002268195125132885378"},
            "qr_code: one QR code a step; that gives 2 (use /qrinfo or the form for several)",
        ),
    ],
    ids=["no-merchant", "qr-not-text", "not-a-qr-url", "two-codes"],
)
def test_inputs_it_cannot_read_say_which_and_why(inputs: dict[str, Any], problem: str) -> None:
    with pytest.raises(StepInputError) as raised:
        read_step(inputs)
    assert raised.value.problem == problem


def test_both_inputs_at_fault_are_named_on_one_line() -> None:
    with pytest.raises(StepInputError) as raised:
        read_step({"merchant_no": "12", "qr_code": "x"})
    assert raised.value.problem.startswith("merchant_no: Expected ")
    assert "; qr_code: Expected " in raised.value.problem
