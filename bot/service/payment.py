"""A found QR code's payment status: ``bills/query`` asked with the bill's own fields, on
the gateway that answered, within what is left of the lookup's deadline.

The QR card never fails because of it: whatever goes wrong ends as a Payment that says
the status is unavailable, and why (for an operator's Raw reply and the log).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from bot.gateway.attempts import Attempts
from bot.gateway.bills import BillInfo, BillRef
from bot.gateway.client import QrCodeClient
from bot.gateway.errors import GatewayRejected, QrInfoError
from bot.gateway.models import QrCodeInfo
from bot.gateway.protocol import new_msg_id

log = logging.getLogger(__name__)

# What the card and the audit line say: the bill's state, no such bill, or unavailable.
PaymentStatus = Literal["paid", "unpaid", "refunded", "closed", "unknown", "no-bill", "unavailable"]
NO_BILL_CODES = frozenset({"NO_BILL", "NO_ORDER"})  # the provider's "no such bill" (not sure)


@dataclass(frozen=True, slots=True)
class Payment:
    """What bills/query said of the bill: its reply, a business code, or why it could not
    say (``problem``: one line, for operators)."""

    msg_id: str
    bill: BillInfo | None = None
    code: str | None = None  # the errCode of a refusal (NO_BILL, ...)
    problem: str | None = None  # why the status is unavailable

    @property
    def status(self) -> PaymentStatus:
        if self.bill is not None:
            return self.bill.state
        if self.code in NO_BILL_CODES:
            return "no-bill"
        return "unavailable"

    @property
    def definite(self) -> bool:
        """An answer (a status, or no such bill): still true a few seconds later."""
        return self.status != "unavailable"


async def ask_payment(
    client: QrCodeClient, bill: BillRef, *, budget: float, attempts: Attempts | None = None
) -> Payment:
    """*bill*'s payment status from *client*'s gateway within *budget* seconds; never raises
    for anything the gateway or the network does."""
    msg_id = new_msg_id()
    attempts = attempts or Attempts(msg_id=msg_id)
    if budget <= 0:
        return Payment(msg_id, problem="no time left within the lookup's deadline")
    try:
        bill_info = await client.query_bill(bill, msg_id=msg_id, attempts=attempts, timeout=budget)
    except GatewayRejected as exc:
        return Payment(msg_id, code=exc.code, problem=str(exc))
    except QrInfoError as exc:
        log.warning("payment status unavailable msgId=%s: %s", msg_id, exc)
        return Payment(msg_id, problem=str(exc))
    return Payment(msg_id, bill=bill_info)


async def payment_of(
    client: QrCodeClient, info: QrCodeInfo, *, most: float, asked: Attempts
) -> tuple[Payment, Attempts] | None:
    """The payment status of the bill *info* names, and how its call went: within what is
    left of the lookup's deadline (*asked*: the QR call's attempts) and at most *most*
    seconds. None when *info* names no bill, or the status is not asked for (*most* 0)."""
    bill = BillRef.of(info)
    if bill is None or most <= 0:
        return None
    attempts = Attempts(msg_id=None)  # the call names it (query_bill sets its msgId)
    budget = min(most, client.timeout - asked.elapsed)
    return await ask_payment(client, bill, budget=budget, attempts=attempts), attempts


def encode_payment(payment: Payment | None) -> dict[str, Any] | None:
    """A Payment as JSON, for the other replicas."""
    if payment is None:
        return None
    bill = payment.bill.model_dump(mode="json", by_alias=True) if payment.bill else None
    return {"msg_id": payment.msg_id, "bill": bill, "code": payment.code,
            "problem": payment.problem}  # fmt: skip


def decode_payment(data: dict[str, Any] | None) -> Payment | None:
    if data is None:
        return None
    bill = BillInfo.model_validate(data["bill"]) if data.get("bill") is not None else None
    return Payment(str(data["msg_id"]), bill=bill, code=data.get("code"),
                   problem=data.get("problem"))  # fmt: skip
