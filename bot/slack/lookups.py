"""One lookup, from a parsed request to a card: the service every listener shares.

Each lookup passes the guard (access, rate), shares a gateway call with any
identical lookup in flight (and a definite answer with those of the next few
seconds), is rendered whatever the outcome, and leaves one audit line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Action, AuditEvent, AuditLog, now_utc
from bot.config import Settings
from bot.gateway.client import QrCodeClient, new_msg_id, utc_now
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBusy,
    GatewayCircuitOpen,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
)
from bot.gateway.models import QrCodeInfo
from bot.slack.cards import (
    Card,
    CardButtons,
    Environment,
    LookupContext,
    auth_error_card,
    input_error_card,
    qr_card,
    refused_card,
    rejected_card,
    unavailable_card,
)
from bot.slack.guard import Guard, Requester
from bot.slack.parse import Lookup, encode_button_value
from bot.slack.replies import unexpected_errors_reported

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Shared(Generic[T]):
    """A coalesced call's value; ``reused`` when the call had ended before this caller asked."""

    value: T
    reused: bool


class Coalescer(Generic[T]):
    """Identical calls share one execution while it is in flight.

    After it ends, its value is kept for *window* seconds only if *keep* says
    it may be: a definite answer may serve a double click, a failure must not
    outlive a recovery. A caller that wants a fresh answer (``reuse=False``)
    still joins a call in flight, which started no earlier than its own ask.
    """

    def __init__(
        self,
        window: float,
        *,
        keep: Callable[[T], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._keep = keep
        self._clock = clock
        self._inflight: dict[object, asyncio.Future[T]] = {}
        self._kept: dict[object, tuple[T, float]] = {}  # key -> (value, when it ended)
        self.executions = 0

    async def run(
        self, key: object, call: Callable[[], Awaitable[T]], *, reuse: bool = True
    ) -> Shared[T]:
        now = self._clock()
        kept = self._kept.get(key)
        if kept is not None and reuse and now - kept[1] <= self.window:
            return Shared(kept[0], reused=True)
        future = self._inflight.get(key)
        if future is None:
            self._prune(now)
            future = asyncio.ensure_future(call())
            self.executions += 1
            self._inflight[key] = future
            future.add_done_callback(lambda f: self._finished(key, f))
        # shield: one waiter's cancellation must not cancel the call the others wait on.
        return Shared(await asyncio.shield(future), reused=False)

    def _finished(self, key: object, future: asyncio.Future[T]) -> None:
        self._inflight.pop(key, None)
        if future.cancelled() or future.exception() is not None:
            return  # (retrieved: an exception nobody else awaits is not "never retrieved")
        value = future.result()
        if self.window > 0 and self._keep(value):
            self._kept[key] = (value, self._clock())
        else:
            self._kept.pop(key, None)  # a newer failure replaces an older answer

    def _prune(self, now: float) -> None:
        if len(self._kept) > 1000:
            self._kept = {k: v for k, v in self._kept.items() if now - v[1] <= self.window}


class InFlight:
    """The listener work still running: what a graceful shutdown waits for."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            self._idle.clear()
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)
                if not self._tasks:
                    self._idle.set()

    async def drain(self, wait: float) -> bool:
        """Wait until no work is left (True), or *wait* seconds (False)."""
        try:
            await asyncio.wait_for(self._idle.wait(), wait)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Answer:
    """One gateway call's outcome (expected errors included), shared by every identical lookup."""

    msg_id: str
    outcome: QrCodeInfo | QrInfoError
    answered_at: datetime  # when the gateway answered (or the call ended), wall clock
    duration_ms: float  # how long the call took

    @property
    def definite(self) -> bool:
        """Found, or a business code: still true a few seconds later. Failures are not."""
        return isinstance(self.outcome, QrCodeInfo | GatewayRejected)


@dataclass(slots=True)
class Services:
    """What listeners need, built once per app."""

    settings: Settings
    gateway: QrCodeClient
    clock: Callable[[], datetime] = utc_now
    audit: AuditLog | None = None
    guard: Guard = field(init=False)
    coalescer: Coalescer[Answer] = field(init=False)
    inflight: InFlight = field(default_factory=InFlight)

    def __post_init__(self) -> None:
        self.guard = Guard(self.settings)
        self.coalescer = Coalescer(
            self.settings.qrinfo_coalesce_seconds, keep=lambda answer: answer.definite
        )

    @property
    def env(self) -> Environment:
        return self.settings.chinaums_env

    @asynccontextmanager
    async def work(self, respond: AsyncRespond) -> AsyncIterator[None]:
        """A listener's work after its ack: tracked for shutdown, unexpected errors reported."""
        async with self.inflight.track(), unexpected_errors_reported(respond):
            yield

    def record(
        self,
        who: Requester,
        action: Action,
        request: Lookup | None,
        *,
        outcome: str,
        msg_id: str | None,
        started: float,
    ) -> None:
        if self.audit is None:
            return
        self.audit.record(
            AuditEvent(
                time=now_utc(),
                team=who.team_id,
                user=who.user_id,
                channel=who.channel_id,
                action=action,
                mid=request.mid if request else None,
                qrCodeId=request.qr_code_id if request else None,
                outcome=outcome,
                msgId=msg_id,
                durationMs=round((time.monotonic() - started) * 1000),
            )
        )


@dataclass(frozen=True, slots=True)
class LookupResult:
    card: Card
    msg_id: str | None
    # found | <errCode> | refused | busy | paused | unavailable | misconfigured | invalid
    outcome: str


async def look_up(
    services: Services,
    request: Lookup,
    *,
    who: Requester,
    action: Action,
    client: AsyncWebClient,
    shared_by: str | None = None,
    refreshed: bool = False,
) -> LookupResult:
    """Guard, ask the gateway (shared with identical lookups), render, audit.

    Refresh and Share (*refreshed*, *shared_by*) always get an answer that came
    after the click; a plain lookup may reuse a definite answer of the last
    few seconds, and its card then says how old it is. The card's buttons
    carry the lookup. *shared_by* (the verified clicker who put the card in the
    channel, by Share or by Refresh there) is named on the card, which then has
    no Share button.
    """
    started = time.monotonic()
    refusal = await services.guard.check(who, client)
    if refusal is not None:
        result = LookupResult(refused_card(refusal.text, services.env), None, "refused")
    else:
        shared = await services.coalescer.run(
            (request.mid, request.qr_code_id),
            lambda: _fetch(services, request),
            reuse=not (refreshed or shared_by),
        )
        result = _render(services, request, shared, shared_by=shared_by, refreshed=refreshed)
    services.record(
        who, action, request, outcome=result.outcome, msg_id=result.msg_id, started=started
    )
    return result


async def _fetch(services: Services, request: Lookup) -> Answer:
    """One gateway call; its expected errors are an outcome too, to share with waiters."""
    msg_id = new_msg_id()
    started = time.monotonic()
    outcome: QrCodeInfo | QrInfoError
    try:
        outcome = await services.gateway.query_qrcode_info(
            request.mid, request.qr_code_id, msg_id=msg_id
        )
    except (GatewayRejected, GatewayUnavailable, GatewayAuthError, InvalidInput) as exc:
        outcome = exc
    if isinstance(outcome, GatewayAuthError):
        # The user is told to contact the operator; the operator gets the detail, once a call.
        log.error("gateway refused the bot's request msgId=%s: %s", msg_id, outcome)
    return Answer(
        msg_id=msg_id,
        outcome=outcome,
        answered_at=services.clock(),
        duration_ms=(time.monotonic() - started) * 1000,
    )


def _render(
    services: Services,
    request: Lookup,
    shared: Shared[Answer],
    *,
    shared_by: str | None,
    refreshed: bool,
) -> LookupResult:
    answer, outcome, msg_id = shared.value, shared.value.outcome, shared.value.msg_id
    now = services.clock()
    value = encode_button_value(request)
    context = LookupContext(
        env=services.env,
        msg_id=msg_id,
        answered_at=answer.answered_at,
        duration_ms=answer.duration_ms,
        age_s=(now - answer.answered_at).total_seconds() if shared.reused else None,
        refreshed=refreshed,
        shared_by=shared_by,
    )
    if isinstance(outcome, QrCodeInfo):
        buttons = CardButtons(value=value, shareable=shared_by is None)
        card = qr_card(outcome, context, now=now, buttons=buttons)
        return LookupResult(card, msg_id, "found")
    if isinstance(outcome, GatewayRejected):
        return LookupResult(rejected_card(outcome, context, retry=value), msg_id, outcome.code)
    if isinstance(outcome, GatewayUnavailable):
        return LookupResult(
            unavailable_card(outcome, context, retry=value), msg_id, _unavailable_kind(outcome)
        )
    if isinstance(outcome, GatewayAuthError):
        return LookupResult(auth_error_card(outcome, context, retry=value), msg_id, "misconfigured")
    # InvalidInput: the parser checks first; this is the client's own guard.
    return LookupResult(input_error_card(str(outcome), services.env), msg_id, "invalid")


def _unavailable_kind(error: GatewayUnavailable) -> str:
    if isinstance(error, GatewayBusy):
        return "busy"
    if isinstance(error, GatewayCircuitOpen):
        return "paused"
    return "unavailable"
