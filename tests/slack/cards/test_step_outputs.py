"""A step run's outcome -> its outputs, or the one line it fails with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayRejected,
    GatewayUnavailable,
    QrInfoError,
)
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.service.answer import Answer
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.service.lookup import Outcome
from bot.service.payment import Payment
from bot.slack.cards.step_outputs import OUTPUTS, StepFailed, refusal_error, step_result
from tests.gateway.helpers import SEED_REPLY

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
REF = QrCodeRef("898340149000005", "31942002268195125132885377", env="sandbox")


def answered(result: QrCodeInfo | QrInfoError, **more: Any) -> Outcome:
    return Outcome(REF, answer=Answer("qri0001", result, NOW, 8.0, **more))


def test_a_found_code_gives_every_output_in_order() -> None:
    """Yuan as a string, the expiry in Beijing time with its offset, one summary line."""
    info = QrCodeInfo.model_validate(SEED_REPLY | {"expireTime": "2026-11-25 12:30:00"})
    outputs = step_result(answered(info, payment=Payment("qri0002", code="NO_BILL")))
    assert outputs == {
        "found": True,
        "status": "found",
        "merchant_name": "测试商户",
        "amount": "0.02",
        "qr_url": SEED_REPLY["qrCodeUrl"],
        "expires_at": "2026-11-25T12:30:00+08:00",
        "summary": "测试商户 · ¥0.02 · no bill found · expires 2026-11-25T12:30:00+08:00",
        "environment": "sandbox",
        "payment_status": "no-bill",
        "msg_id": "qri0001",
    }
    assert tuple(outputs) == OUTPUTS


def test_what_a_found_code_does_not_say_is_empty() -> None:
    """No name, amount, URL or expiry in the reply, and no payment asked: empty strings."""
    outputs = step_result(answered(QrCodeInfo.model_validate({"errCode": "SUCCESS"})))
    assert isinstance(outputs, dict)
    assert [outputs[k] for k in ("merchant_name", "amount", "qr_url", "expires_at")] == [""] * 4
    assert outputs["payment_status"] == ""
    assert outputs["summary"] == "(merchant name not given) · no amount"


def test_a_business_code_is_an_answer_with_found_false() -> None:
    rejected = GatewayRejected(code="NO_BILL", message="二维码不存在", msg_id="qri0001")
    outputs = step_result(answered(rejected))
    assert isinstance(outputs, dict)
    assert (outputs["found"], outputs["status"]) == (False, "NO_BILL")
    assert outputs["summary"] == f"NO_BILL: {rejected.explanation}"
    assert outputs["merchant_name"] == outputs["payment_status"] == ""


@pytest.mark.parametrize(
    ("result", "error"),
    [
        (
            GatewayUnavailable(reason="HTTP 502", attempts=3, elapsed=0.3, msg_id="qri0001"),
            "The Chinaums gateway is unavailable: HTTP 502; try again later. (msgId qri0001)",
        ),
        (
            GatewayBreakerOpen(failing_since=None, retry_in=30, msg_id="qri0001"),
            "The Chinaums gateway is unavailable: the gateway has been failing; "
            "calls paused for 30 s; try again later. (msgId qri0001)",
        ),
        (
            GatewayAuthError(code="INVALID_SIGN", message="bad\nsign", http_status=401, msg_id=""),
            "The Chinaums gateway refused qrinfo's credentials; tell qrinfo's operator. "
            "(msgId qri0001)",
        ),
    ],
    ids=["unavailable", "paused", "credentials"],
)
def test_a_gateway_without_an_answer_fails_the_run_in_one_line(
    result: QrInfoError, error: str
) -> None:
    assert step_result(answered(result)) == StepFailed(error)


def test_no_gateway_for_the_codes_environment_fails_the_run() -> None:
    outcome = Outcome(REF, missing=MissingGateway("test", ("CHINAUMS_TEST_BASE_URL",)))
    assert step_result(outcome) == StepFailed("qrinfo has no gateway for test configured.")


@pytest.mark.parametrize(
    ("refusal", "hint", "error"),
    [
        (
            Refusal("user-rate", 5, 12.2),
            "",
            "Rate limit: this user made 5 lookups in the last minute, the most allowed; "
            "try again in 13 s.",
        ),
        (
            Refusal("workspace-rate", 1, 60.0),
            "",
            "Rate limit: this workspace made 1 lookup in the last minute, the most allowed; "
            "try again in 60 s.",
        ),
        (
            Refusal("access"),
            "",
            "Not allowed: this workspace may not look up QR codes, or qrinfo allows only listed "
            "users or channels (a workflow run does not prove who ran it, nor where); "
            "ask qrinfo's operator.",
        ),
        (
            Refusal("access"),
            "C0SUPPORT1",
            "Not allowed: this workspace may not look up QR codes, or qrinfo allows only listed "
            "users or channels (a workflow run does not prove who ran it, nor where); "
            "ask in <#C0SUPPORT1>.",
        ),
    ],
    ids=["user-rate", "workspace-rate", "access", "access-hint-channel"],
)
def test_a_refusal_says_why_and_what_to_do(refusal: Refusal, hint: str, error: str) -> None:
    assert refusal_error(refusal, hint) == error
    assert step_result(Outcome(REF, refusal=refusal), hint=hint) == StepFailed(error)
