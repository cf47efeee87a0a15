"""One lookup, from a parsed request to a card: the service every listener shares.

Each lookup passes the guard (access, rate), shares a gateway call with any
identical lookup of the last few seconds, is rendered whatever the outcome,
and leaves one audit line.
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
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
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


class Coalescer(Generic[T]):
    """Identical calls share one execution: while in flight, and for *window* seconds after."""

    def __init__(self, window: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._calls: dict[object, tuple[asyncio.Future[T], float | None]] = {}
        self.executions = 0

    async def run(self, key: object, call: Callable[[], Awaitable[T]]) -> T:
        now = self._clock()
        entry = self._calls.get(key)
        if entry is not None:
            future, finished = entry
            if finished is None or now - finished <= self.window:
                return await asyncio.shield(future)  # a waiter's cancel must not cancel the call
        self._prune(now)
        future = asyncio.ensure_future(call())
        self.executions += 1
        self._calls[key] = (future, None)
        future.add_done_callback(lambda f: self._finished(key, f))
        return await asyncio.shield(future)

    def _finished(self, key: object, future: asyncio.Future[T]) -> None:
        if future.cancelled() or self.window <= 0:
            self._calls.pop(key, None)
            return
        future.exception()  # retrieved here: a result nobody else awaits is not "never retrieved"
        self._calls[key] = (future, self._clock())

    def _prune(self, now: float) -> None:
        if len(self._calls) > 1000:
            self._calls = {
                k: (f, done)
                for k, (f, done) in self._calls.items()
                if done is None or now - done <= self.window
            }


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


Fetched = tuple[str, QrCodeInfo | Exception]  # (msgId of the gateway call, its outcome)


@dataclass(slots=True)
class Services:
    """What listeners need, built once per app."""

    settings: Settings
    gateway: QrCodeClient
    clock: Callable[[], datetime] = utc_now
    audit: AuditLog | None = None
    guard: Guard = field(init=False)
    coalescer: Coalescer[Fetched] = field(init=False)
    inflight: InFlight = field(default_factory=InFlight)

    def __post_init__(self) -> None:
        self.guard = Guard(self.settings)
        self.coalescer = Coalescer(self.settings.qrinfo_coalesce_seconds)

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
    outcome: str  # found | <errCode> | refused | busy | unavailable | misconfigured | invalid


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

    The card's buttons carry the lookup. *shared_by* (the verified clicker who
    put the card in the channel, by Share or by Refresh there) is named on the
    card, which then has no Share button.
    """
    started = time.monotonic()
    refusal = await services.guard.check(who, client)
    if refusal is not None:
        result = LookupResult(refused_card(refusal.text, services.env), None, "refused")
    else:
        msg_id, outcome = await services.coalescer.run(
            (request.mid, request.qr_code_id), lambda: _fetch(services.gateway, request)
        )
        result = _render(
            services, request, msg_id, outcome, started, shared_by=shared_by, refreshed=refreshed
        )
    services.record(
        who, action, request, outcome=result.outcome, msg_id=result.msg_id, started=started
    )
    return result


async def _fetch(gateway: QrCodeClient, request: Lookup) -> Fetched:
    """One gateway call; its expected errors are an outcome too, to share with waiters."""
    msg_id = new_msg_id()
    try:
        return msg_id, await gateway.query_qrcode_info(
            request.mid, request.qr_code_id, msg_id=msg_id
        )
    except (GatewayRejected, GatewayUnavailable, GatewayAuthError, InvalidInput) as exc:
        return msg_id, exc


def _render(
    services: Services,
    request: Lookup,
    msg_id: str,
    outcome: QrCodeInfo | Exception,
    started: float,
    *,
    shared_by: str | None,
    refreshed: bool,
) -> LookupResult:
    value = encode_button_value(request)
    context = LookupContext(
        env=services.env,
        msg_id=msg_id,
        looked_up_at=services.clock(),
        duration_ms=(time.monotonic() - started) * 1000,
        refreshed=refreshed,
        shared_by=shared_by,
    )
    if isinstance(outcome, QrCodeInfo):
        buttons = CardButtons(value=value, shareable=shared_by is None)
        card = qr_card(outcome, context, now=services.clock(), buttons=buttons)
        return LookupResult(card, msg_id, "found")
    if isinstance(outcome, GatewayRejected):
        return LookupResult(rejected_card(outcome, context, retry=value), msg_id, outcome.code)
    if isinstance(outcome, GatewayUnavailable):
        kind = "busy" if isinstance(outcome, GatewayBusy) else "unavailable"
        return LookupResult(unavailable_card(outcome, context, retry=value), msg_id, kind)
    if isinstance(outcome, GatewayAuthError):
        # The user is told to contact the operator; the operator gets the detail here.
        log.error("gateway refused the bot's request msgId=%s: %s", msg_id, outcome)
        return LookupResult(auth_error_card(outcome, context, retry=value), msg_id, "misconfigured")
    # InvalidInput: the parser checks first; this is the client's own guard.
    return LookupResult(input_error_card(str(outcome), services.env), msg_id, "invalid")
