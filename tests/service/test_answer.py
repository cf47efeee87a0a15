"""An Answer (bot/service/answer.py): its kind for every outcome, which ones are definite, and
its JSON form for the other replicas."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
)
from bot.gateway.models import QrCodeInfo
from bot.service.answer import Answer, decode_answer, encode_answer

WHEN = datetime(2026, 11, 25, 4, 0, 0, 123000, tzinfo=UTC)
RESULTS: list[tuple[QrCodeInfo | QrInfoError, str, bool]] = [
    (QrCodeInfo.model_validate({"errCode": "SUCCESS", "merName": "商户"}), "found", True),
    (GatewayRejected(code="NO_BILL", message="no bill", msg_id="q"), "NO_BILL", True),
    (GatewayBusy(limit=4, waited=1.5, msg_id=None), "busy", False),
    (GatewayBreakerOpen(failing_since=WHEN, retry_in=12.0, msg_id=None), "paused", False),
    (
        GatewayUnavailable(reason="timeout", attempts=3, elapsed=2.0, msg_id="q"),
        "unavailable",
        False,
    ),
    (
        GatewayAuthError(code="401", message="bad key", http_status=401, msg_id="q"),
        "misconfigured",
        False,
    ),
    (InvalidInput(field="mid", expected="15 digits", example="898340149000005"), "invalid", False),
]
IDS = ["found", "rejected", "busy", "paused", "unavailable", "misconfigured", "invalid"]


@pytest.mark.parametrize(("result", "kind", "definite"), RESULTS, ids=IDS)
def test_each_result_has_its_kind_and_only_found_and_codes_are_definite(
    result: QrCodeInfo | QrInfoError, kind: str, definite: bool
) -> None:
    """Busy and paused are kinds of unavailable, but say so: they never reached the gateway."""
    answer = Answer("qri1", result, WHEN, 12.5)
    assert (answer.kind, answer.definite) == (kind, definite)


@pytest.mark.parametrize(("result", "kind", "definite"), RESULTS[:-1], ids=IDS[:-1])
def test_an_answer_survives_its_json_form_for_another_replica(
    result: QrCodeInfo | QrInfoError, kind: str, definite: bool
) -> None:
    """msgId, time, duration and kind come back; a decoded answer is not marked kept yet."""
    decoded = decode_answer(encode_answer(Answer("qri1", result, WHEN, 12.5, kept=True)))
    assert (decoded.msg_id, decoded.answered_at, decoded.duration_ms) == ("qri1", WHEN, 12.5)
    assert (decoded.kind, decoded.definite, decoded.kept) == (kind, definite, False)


def test_a_found_answers_info_comes_back_whole() -> None:
    info = QrCodeInfo.model_validate({"errCode": "SUCCESS", "merName": "测试商户", "mid": "1"})
    decoded = decode_answer(encode_answer(Answer("qri1", info, WHEN, 1.0)))
    assert decoded.result == info
