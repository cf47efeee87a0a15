"""Answer: one gateway call's outcome, joined by every identical lookup (in this process
by the coalescer, across replicas by bot.service.fleet), and its JSON form for the other
replicas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    QrInfoError,
)
from bot.gateway.models import QrCodeInfo
from bot.service.fleet import decode_result, encode_result
from bot.service.payment import Payment, decode_payment, encode_payment


@dataclass(frozen=True, slots=True)
class Answer:
    """One gateway call's outcome (expected errors included), joined by every identical lookup."""

    msg_id: str
    result: QrCodeInfo | QrInfoError
    answered_at: datetime  # when the gateway answered (or the call ended), wall clock
    duration_ms: float  # how long the call took
    kept: bool = False  # another replica's answer, kept a moment in Redis (so: reused)
    payment: Payment | None = None  # the bill's payment status, when it was asked

    @property
    def definite(self) -> bool:
        """Found (with a payment status, when asked), or a business code: still true a few
        seconds later. Failures are not, nor is a payment status that could not be had."""
        if self.payment is not None and not self.payment.definite:
            return False
        return isinstance(self.result, QrCodeInfo | GatewayRejected)

    @property
    def kind(self) -> str:
        """found | <errCode> | busy | paused | unavailable | misconfigured | invalid"""
        result = self.result
        if isinstance(result, QrCodeInfo):
            return "found"
        if isinstance(result, GatewayRejected):
            return result.code
        if isinstance(result, GatewayBusy):
            return "busy"
        if isinstance(result, GatewayBreakerOpen):
            return "paused"
        if isinstance(result, GatewayUnavailable):
            return "unavailable"
        return "misconfigured" if isinstance(result, GatewayAuthError) else "invalid"


def encode_answer(answer: Answer) -> dict[str, Any]:
    """An Answer as JSON, for the other replicas."""
    return {
        "msg_id": answer.msg_id,
        "answered_at": answer.answered_at.isoformat(),
        "duration_ms": answer.duration_ms,
        "result": encode_result(answer.result),
        "payment": encode_payment(answer.payment),
    }


def decode_answer(data: dict[str, Any]) -> Answer:
    return Answer(
        msg_id=str(data["msg_id"]),
        answered_at=datetime.fromisoformat(data["answered_at"]),
        duration_ms=float(data["duration_ms"]),
        result=decode_result(data["result"]),
        payment=decode_payment(data.get("payment")),
    )
