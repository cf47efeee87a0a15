"""Pure: how a run of the Workflow Builder step ``lookup_qr_code`` ends, from its lookup's
Outcome: the step's outputs when the gateway answered with a code (found, or a business code
such as NO_BILL), else the one line of English the step fails with (refused, no gateway,
busy, paused, unavailable, misconfigured).

Outputs are data for the workflow's next steps (English where they are words); the
manifest's ``functions.lookup_qr_code.output_parameters`` declares the same names.

May touch the gateway's models and errors, the service's outcome, i18n and the other cards
modules; nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.gateway.errors import GatewayAuthError, GatewayRejected, GatewayUnavailable, QrInfoError
from bot.gateway.models import QrCodeInfo, yuan
from bot.i18n import ENGLISH
from bot.service.guard import Refusal
from bot.service.lookup import Outcome
from bot.service.payment import Payment
from bot.slack.cards.payment import payment_word

# The outputs, in the manifest's order; "found" is a boolean, every other one a string.
OUTPUTS = (
    "found",
    "status",
    "merchant_name",
    "amount",
    "qr_url",
    "expires_at",
    "summary",
    "environment",
    "payment_status",
    "msg_id",
)
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")  # as notices.py reads the hint
ERROR_CHARS = 500  # one line a person reads in Slackbot's message

StepOutputs = dict[str, str | bool]


@dataclass(frozen=True, slots=True)
class StepFailed:
    """The step could not look the code up: ``error`` says why, on one line."""

    error: str


def step_result(outcome: Outcome, *, hint: str = "") -> StepOutputs | StepFailed:
    """The step's outputs for a code the gateway answered; StepFailed for everything else."""
    if outcome.refusal is not None:
        return StepFailed(refusal_error(outcome.refusal, hint))
    if outcome.missing is not None:
        return StepFailed(f"qrinfo has no gateway for {outcome.missing.env} configured.")
    answer = outcome.answer
    assert answer is not None  # noqa: S101  # not refused, not missing: answered
    result = answer.result
    common: StepOutputs = {"environment": outcome.env, "msg_id": answer.msg_id}
    if isinstance(result, QrCodeInfo):
        return _found(result, answer.payment, common)
    if isinstance(result, GatewayRejected):
        summary = f"{result.code}: {result.explanation}"
        return _outputs(status=result.code, summary=summary, **common)
    return StepFailed(one_line(f"{failure_error(result)} (msgId {answer.msg_id})"))


def _found(info: QrCodeInfo, payment: Payment | None, common: StepOutputs) -> StepOutputs:
    amount = str(yuan(info.total_amount)) if info.total_amount is not None else ""
    merchant = one_line(info.mer_name or "")
    expires = info.expire_time.isoformat() if info.expire_time else ""
    parts = [merchant or "(merchant name not given)", f"¥{amount}" if amount else "no amount"]
    if payment is not None:
        parts.append(payment_word(payment, ENGLISH) or "")
    if expires:
        parts.append(f"expires {expires}")
    return _outputs(
        found=True,
        status="found",
        merchant_name=merchant,
        amount=amount,
        qr_url=info.qr_code_url or "",
        expires_at=expires,
        summary=" · ".join(parts),
        payment_status=payment.status if payment else "",
        **common,
    )


def _outputs(**given: str | bool) -> StepOutputs:
    """Every output, in order: what is not given is empty (found: false)."""
    empty: StepOutputs = {**dict.fromkeys(OUTPUTS, ""), "found": False}
    return {name: given.get(name, empty[name]) for name in OUTPUTS}


def refusal_error(refusal: Refusal, hint: str = "") -> str:
    """Why the guard refused the run, and what to do (*hint*: where to ask, a channel id or
    text)."""
    if refusal.kind in ("user-rate", "workspace-rate"):
        who = "this user" if refusal.kind == "user-rate" else "this workspace"
        lookups = "lookup" if refusal.limit == 1 else "lookups"
        return (
            f"Rate limit: {who} made {refusal.limit} {lookups} in the last minute, "
            f"the most allowed; try again in {math.ceil(refusal.wait)} s."
        )
    where = f"<#{hint}>" if _CHANNEL_ID.fullmatch(hint) else hint
    return one_line(
        "Not allowed: this workspace may not look up QR codes, or qrinfo allows only listed "
        "users or channels (a workflow run does not prove who ran it, nor where); "
        + (f"ask in {where}." if where else "ask qrinfo's operator.")
    )


def failure_error(error: QrInfoError) -> str:
    """What went wrong with the gateway, for whoever runs the workflow."""
    if isinstance(error, GatewayAuthError):
        return "The Chinaums gateway refused qrinfo's credentials; tell qrinfo's operator."
    if isinstance(error, GatewayUnavailable):
        return f"The Chinaums gateway is unavailable: {error.reason}; try again later."
    return f"The inputs cannot be looked up: {error}."


def one_line(text: str) -> str:
    """*text* on one line, at most ERROR_CHARS: what a step's failure may say."""
    line = " ".join(text.split())
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"
