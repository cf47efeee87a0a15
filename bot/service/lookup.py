"""Lookups, from a checked request to an outcome: route to a gateway, guard, a shared
gateway call, audit; one at a time, or several at once (a batch).

The Slack surface renders the outcome; nothing here knows Slack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.gateway.attempts import Attempts
from bot.gateway.client import QrCodeClient
from bot.gateway.config import Environment
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
)
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.gateway.protocol import WallClock, new_msg_id, utc_now
from bot.logs import bind_now
from bot.service.audit import Action, AuditEvent, AuditLog, utc_timestamp
from bot.service.coalescing import Coalescer
from bot.service.fleet import FleetCalls, decode_result, encode_result
from bot.service.gateways import Gateways, MissingGateway
from bot.service.guard import GroupMembers, Guard, Refusal, Requester
from bot.service.inflight import InFlight
from bot.service.metrics import Metrics
from bot.service.raw import RawReplies, RawReply, reply_text
from bot.store.redis import FleetStore

log = logging.getLogger(__name__)
MAX_BATCH = 20  # lookups at once (one /qrinfo, one form): one compact card, a line each


@dataclass(frozen=True, slots=True)
class Answer:
    """One gateway call's outcome (expected errors included), shared by every identical lookup."""

    msg_id: str
    result: QrCodeInfo | QrInfoError
    answered_at: datetime  # when the gateway answered (or the call ended), wall clock
    duration_ms: float  # how long the call took
    kept: bool = False  # another replica's answer, kept a moment in Redis (so: reused)

    @property
    def definite(self) -> bool:
        """Found, or a business code: still true a few seconds later. Failures are not."""
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


@dataclass(slots=True, kw_only=True)
class Services:
    """What listeners need, built once per app by the wiring (from Settings)."""

    gateways: Gateways
    guard: Guard
    access_hint: str  # where a refused user should ask: a channel id or text, or ""
    coalesce_seconds: float
    wall_clock: WallClock = utc_now
    audit: AuditLog | None = None
    metrics: Metrics = field(default_factory=Metrics)
    inflight: InFlight = field(default_factory=InFlight)
    raw: RawReplies = field(default_factory=RawReplies)  # kept only when there are operators
    coalescer: Coalescer[Answer] = field(init=False)
    fleet: FleetCalls[Answer] | None = None  # identical lookups shared across replicas
    store: FleetStore | None = None  # Redis, when replicas share state

    @property
    def env(self) -> Environment:
        """The default gateway's environment."""
        return self.gateways.default

    @property
    def gateway(self) -> QrCodeClient:
        """The default gateway."""
        return self.gateways.default_client

    @property
    def fleet_state(self) -> str | None:
        """None (one process), "redis" (shared with the other replicas) or "degraded" (lost)."""
        if self.store is None:
            return None
        return "degraded" if self.store.degraded else "redis"

    def __post_init__(self) -> None:
        # Another replica's kept answer is not kept again here: it would outlive its window.
        self.coalescer = Coalescer(
            self.coalesce_seconds, keep=lambda answer: answer.definite and not answer.kept
        )

    def record(
        self,
        who: Requester,
        action: Action,
        ref: QrCodeRef | None,
        *,
        outcome: str,
        msg_id: str | None,
        started: float,
    ) -> None:
        """The lookup's metrics, and one audit line (when there is an audit log)."""
        seconds = time.monotonic() - started
        self.metrics.lookup(action, outcome, seconds)
        self.audit_line(who, action, ref, outcome=outcome, msg_id=msg_id, seconds=seconds)

    def audit_line(
        self,
        who: Requester,
        action: Action,
        ref: QrCodeRef | None,
        *,
        outcome: str,
        msg_id: str | None,
        seconds: float = 0.0,
    ) -> None:
        """One audit line (when there is an audit log), for a lookup or an operator's look."""
        if self.audit is None:
            return
        self.audit.record(
            AuditEvent(
                time=utc_timestamp(),
                team=who.team_id,
                user=who.user_id,
                channel=who.channel_id,
                action=action,
                env=ref.env if ref else None,
                mid=ref.mid if ref else None,
                qrCodeId=ref.qr_code_id if ref else None,
                outcome=outcome,
                msgId=msg_id,
                durationMs=round(seconds * 1000),
            )
        )


async def look_up(
    services: Services,
    ref: QrCodeRef,
    *,
    who: Requester,
    action: Action,
    read_group: GroupMembers,
    fresh: bool = False,
) -> Outcome:
    """Route, guard, ask the gateway (shared with identical lookups), audit.

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
    order; TooManyLookups past MAX_BATCH.

    Each is counted against the rate limits in turn, so those past a limit are the last
    ones (refused: not looked up); the rest ask their gateways concurrently, within each
    gateway's cap, and may take an answer of a moment ago.
    """
    distinct = distinct_lookups(services, refs)
    if len(distinct) > MAX_BATCH:
        raise TooManyLookups(len(distinct))
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


class TooManyLookups(Exception):
    """More than MAX_BATCH distinct lookups asked at once."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(f"{count} lookups at once; at most {MAX_BATCH}")


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
    shared = await services.coalescer.run(
        _key(ref), lambda: _ask_fleet(services, ref, not fresh), reuse=not fresh
    )
    answer = shared.value
    outcome = Outcome(ref, answer=answer, reused=shared.reused or answer.kept)
    services.record(who, action, ref, outcome=outcome.kind, msg_id=outcome.msg_id, started=started)
    return outcome


async def _ask_fleet(services: Services, ref: QrCodeRef, reuse: bool) -> Answer:
    """The fleet's one call for *ref* when replicas share Redis, else this process's."""
    if services.fleet is not None:
        shared = await services.fleet.run(_key(ref), lambda: _ask(services, ref), reuse=reuse)
        if shared is not None:
            return replace(shared.value, kept=True) if shared.reused else shared.value
    return await _ask(services, ref)


def _key(ref: QrCodeRef) -> tuple[str, str, str]:
    """What makes two lookups identical: the same code on the same gateway."""
    return (ref.env or "", ref.mid, ref.qr_code_id)


def encode_answer(answer: Answer) -> dict[str, Any]:
    """An Answer as JSON, for the other replicas."""
    return {
        "msg_id": answer.msg_id,
        "answered_at": answer.answered_at.isoformat(),
        "duration_ms": answer.duration_ms,
        "result": encode_result(answer.result),
    }


def decode_answer(data: dict[str, Any]) -> Answer:
    return Answer(
        msg_id=str(data["msg_id"]),
        answered_at=datetime.fromisoformat(data["answered_at"]),
        duration_ms=float(data["duration_ms"]),
        result=decode_result(data["result"]),
    )


async def _ask(services: Services, ref: QrCodeRef) -> Answer:
    """One gateway call; its expected errors are an outcome too, to share with waiters."""
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
    answer = Answer(
        msg_id=msg_id,
        result=result,
        answered_at=services.wall_clock(),
        duration_ms=attempts.elapsed * 1000,
    )
    if not isinstance(result, InvalidInput):  # (checked before any I/O: no call was made)
        services.metrics.gateway_call(answer.kind, attempts.elapsed, gateway=env)
    if services.guard.policy.operators:
        text, length = reply_text(attempts.reply)
        services.raw.keep(
            RawReply(
                msg_id=msg_id,
                env=env,
                outcome=answer.kind,
                answered_at=answer.answered_at,
                duration_ms=answer.duration_ms,
                status=attempts.status,
                text=text,
                length=length,
                tries=tuple(attempts.tries),
            )
        )
    return answer
