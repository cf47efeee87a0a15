"""Lookups, from a checked request to an outcome: route to a gateway, guard, a joined
gateway call, audit; one at a time, or several at once (a batch).

The Slack surface renders the outcome; nothing here knows Slack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.gateway.attempts import Attempts
from bot.gateway.config import Environment
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
)
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.gateway.protocol import new_msg_id
from bot.logs import bind_now
from bot.service.answer import Answer
from bot.service.audit import Action
from bot.service.batch_limit import check_batch_size
from bot.service.gateways import MissingGateway
from bot.service.guard import GroupMembers, Refusal, Requester
from bot.service.history import looked
from bot.service.payment import Payment, payment_of
from bot.service.raw import RawReply, reply_text
from bot.service.services import Services

__all__ = [
    "Outcome",
    "distinct_lookups",
    "look_up",
    "look_up_many",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one lookup ended: no gateway for its environment, refused by the guard, or the
    gateway's answer (maybe reused). *ref* names the gateway that answered (its env)."""

    ref: QrCodeRef
    refusal: Refusal | None = None
    answer: Answer | None = None
    reused: bool = False  # the answer came from an identical lookup a moment ago
    missing: MissingGateway | None = None

    @property
    def msg_id(self) -> str | None:
        return self.answer.msg_id if self.answer else None

    @property
    def kind(self) -> str:
        """found | <errCode> | refused | unconfigured | busy | paused | unavailable |
        misconfigured | invalid"""
        if self.missing is not None:
            return "unconfigured"
        return "refused" if self.answer is None else self.answer.kind

    @property
    def env(self) -> Environment:
        """The environment of the gateway that answered (or of the one a refusal kept from
        asking, or of the one missing). Every lookup is routed before its outcome."""
        if self.missing is not None:
            return self.missing.env
        if self.ref.env is None:
            raise ValueError(f"an outcome for {self.ref} that was never routed to a gateway")
        return self.ref.env


async def look_up(
    services: Services,
    ref: QrCodeRef,
    *,
    who: Requester,
    action: Action,
    read_group: GroupMembers,
    fresh: bool = False,
) -> Outcome:
    """Route, guard, ask the gateway (joined by identical lookups), audit.

    *fresh* (Refresh, Share) wants an answer from after the ask: it may join a
    call in flight but never takes a kept answer.
    """
    started = time.monotonic()
    checked = await _checked(services, ref, who, action, read_group=read_group, started=started)
    if isinstance(checked, Outcome):
        return checked
    return await _answered(services, checked, who, action, fresh=fresh, started=started)


async def look_up_many(
    services: Services,
    refs: Sequence[QrCodeRef],
    *,
    who: Requester,
    action: Action,
    read_group: GroupMembers,
) -> list[Outcome]:
    """Several lookups at once: an outcome for each distinct one (see distinct_lookups), in
    order; TooManyLookups (bot.service.batch_limit) past MAX_BATCH.

    Each is counted against the rate limits in turn, so those past a limit are the last
    ones (refused: not looked up); the rest ask their gateways concurrently, within each
    gateway's cap, and may take an answer of a moment ago.
    """
    distinct = distinct_lookups(services, refs)
    check_batch_size(len(distinct))
    started = time.monotonic()
    checked = [
        await _checked(services, ref, who, action, read_group=read_group, started=started)
        for ref in distinct
    ]
    answered = await asyncio.gather(
        *(
            _answered(services, ref, who, action, fresh=False, started=started)
            for ref in checked
            if isinstance(ref, QrCodeRef)
        )
    )
    answers = iter(answered)
    return [next(answers) if isinstance(ref, QrCodeRef) else ref for ref in checked]


def distinct_lookups(services: Services, refs: Sequence[QrCodeRef]) -> list[QrCodeRef]:
    """*refs* without repeats, in order: two are one lookup when they go to the same gateway
    (an id, and the same id's production URL with production the default)."""
    distinct: dict[tuple[str, str], QrCodeRef] = {}
    for ref in refs:
        routed = services.gateways.route(ref.env)
        env = routed.env if isinstance(routed, MissingGateway) else routed
        distinct.setdefault((env, ref.qr_code_id), ref)
    return list(distinct.values())


async def _checked(
    services: Services,
    ref: QrCodeRef,
    who: Requester,
    action: Action,
    *,
    read_group: GroupMembers,
    started: float,
) -> QrCodeRef | Outcome:
    """*ref* on the gateway that answers it, if it may be asked; else how it ended (refused
    by the guard, or no gateway for its environment), recorded."""
    routed = services.gateways.route(ref.env)
    ref = replace(ref, env=routed.env if isinstance(routed, MissingGateway) else routed)
    # Access and limits first: someone not allowed learns nothing of the configuration.
    refusal = await services.guard.check(who, read_group)
    if refusal is not None:
        services.metrics.refused("access" if refusal.kind == "access" else "rate")
        outcome = Outcome(ref, refusal=refusal)
    elif isinstance(routed, MissingGateway):  # nothing is sent
        outcome = Outcome(ref, missing=routed)
    else:
        return ref
    services.record(who, action, ref, outcome=outcome.kind, msg_id=None, started=started)
    if refusal is None or refusal.kind != "access":  # someone not allowed leaves nothing here
        await _remember(services, who, outcome)
    return outcome


async def _answered(
    services: Services,
    ref: QrCodeRef,
    who: Requester,
    action: Action,
    *,
    fresh: bool,
    started: float,
) -> Outcome:
    joined = await services.coalescer.run(
        _key(ref), lambda: _ask_fleet(services, ref, not fresh), reuse=not fresh
    )
    answer = joined.value
    outcome = Outcome(ref, answer=answer, reused=joined.reused or answer.kept)
    payment = answer.payment.status if answer.payment else None
    services.record(
        who, action, ref, outcome=outcome.kind, msg_id=outcome.msg_id, started=started,
        payment=payment,
    )  # fmt: skip
    await _remember(services, who, outcome)
    return outcome


async def _remember(services: Services, who: Requester, outcome: Outcome) -> None:
    """The lookup, first in its requester's history (their App Home's list)."""
    if who.user_id:
        entry = looked(outcome.ref, outcome.kind, outcome.answer, at=services.wall_clock())
        await services.history.add(who.user_id, entry)


async def _ask_fleet(services: Services, ref: QrCodeRef, reuse: bool) -> Answer:
    """The fleet's one call for *ref* when replicas share Redis, else this process's."""
    if services.fleet is not None:
        joined = await services.fleet.run(_key(ref), lambda: _ask(services, ref), reuse=reuse)
        if joined is not None:
            return replace(joined.value, kept=True) if joined.reused else joined.value
    return await _ask(services, ref)


def _key(ref: QrCodeRef) -> tuple[str, str, str]:
    """What makes two lookups identical: the same code on the same gateway."""
    return (ref.env or "", ref.mid, ref.qr_code_id)


async def _ask(services: Services, ref: QrCodeRef) -> Answer:
    """One gateway call; its expected errors are an outcome too, for every lookup joining it."""
    env = ref.env or services.env
    msg_id = new_msg_id()
    bind_now(msgId=msg_id)  # this call's own task (the coalescer's): its lines carry it
    attempts = Attempts(msg_id=msg_id)
    result: QrCodeInfo | QrInfoError
    try:
        result = await services.gateways.client(env).query_qrcode_info(
            ref.mid, ref.qr_code_id, msg_id=msg_id, attempts=attempts
        )
    except (GatewayRejected, GatewayUnavailable, GatewayAuthError, InvalidInput) as exc:
        result = exc
    if isinstance(result, GatewayAuthError):
        # The user is told to contact the operator; the operator gets the detail, once a call.
        log.error("gateway (%s) refused the bot's request msgId=%s: %s", env, msg_id, result)
    seconds = attempts.elapsed  # the QR call's own time, not the payment call's after it
    payment, asked_bill = await _payment(services, env, result, attempts)
    answer = Answer(
        msg_id=msg_id,
        result=result,
        answered_at=services.wall_clock(),
        duration_ms=seconds * 1000,
        payment=payment,
    )
    if not isinstance(result, InvalidInput):  # (checked before any I/O: no call was made)
        services.metrics.gateway_call(answer.kind, seconds, gateway=env)
    if services.guard.policy.operators:
        _keep_raw_reply(services, env, answer, attempts, asked_bill)
    return answer


async def _payment(
    services: Services, env: Environment, result: QrCodeInfo | QrInfoError, asked: Attempts
) -> tuple[Payment | None, Attempts | None]:
    """The bill's payment status and how its call went, when *result* is a code naming a
    bill and the status is asked for: within what is left of the lookup's deadline (the QR
    call's, *asked*), and at most QRINFO's payment timeout."""
    if not isinstance(result, QrCodeInfo):
        return None, None
    client = services.gateways.client(env)
    asked_bill = await payment_of(client, result, most=services.payment_timeout, asked=asked)
    if asked_bill is None:
        return None, None
    services.metrics.payment(asked_bill[0].status, gateway=env)
    return asked_bill


def _keep_raw_reply(
    services: Services,
    env: Environment,
    answer: Answer,
    attempts: Attempts,
    asked_bill: Attempts | None,
) -> None:
    """The gateway's reply to *answer*'s call as it came, for an operator's Raw reply; and
    the bills/query reply that followed, when one did."""
    payment = answer.payment
    paid = None
    if payment is not None and asked_bill is not None:
        seconds = asked_bill.elapsed
        paid = _raw(payment.msg_id, env, payment.status, answer, asked_bill, seconds * 1000)
    raw = _raw(answer.msg_id, env, answer.kind, answer, attempts, answer.duration_ms)
    services.raw.keep(replace(raw, payment=paid))


def _raw(  # noqa: PLR0917  # one call's facts, in the order RawReply lists them
    msg_id: str,
    env: Environment,
    outcome: str,
    answer: Answer,
    attempts: Attempts,
    duration_ms: float,
) -> RawReply:
    text, length = reply_text(attempts.reply)
    return RawReply(
        msg_id=msg_id,
        env=env,
        outcome=outcome,
        answered_at=answer.answered_at,
        duration_ms=duration_ms,
        status=attempts.status,
        text=text,
        length=length,
        tries=tuple(attempts.tries),
    )
