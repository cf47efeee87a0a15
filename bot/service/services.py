"""Services: the lookup service's parts in one bundle (gateways, guard, coalescer, metrics,
audit), built once per app by the wiring (from Settings), and the record each lookup
leaves in the metrics and the audit log."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.gateway.client import QrCodeClient
from bot.gateway.config import Environment
from bot.gateway.ids import QrCodeRef
from bot.gateway.protocol import WallClock, utc_now
from bot.service.answer import Answer
from bot.service.audit import Action, AuditEvent, AuditLog, utc_timestamp
from bot.service.coalescing import Coalescer
from bot.service.fleet import FleetCalls
from bot.service.gateways import Gateways
from bot.service.guard import Guard, Requester
from bot.service.history import History
from bot.service.inflight import InFlight
from bot.service.metrics import Metrics
from bot.service.raw import RawReplies
from bot.store.redis import FleetStore


@dataclass(slots=True, kw_only=True)
class Services:
    """What listeners need, built once per app by the wiring (from Settings)."""

    gateways: Gateways
    guard: Guard
    access_hint: str  # where a refused user should ask: a channel id or text, or ""
    coalesce_seconds: float
    # bills/query for a found code's bill: at most this long (0: not asked), within the
    # lookup's own deadline.
    payment_timeout: float = 0.0
    wall_clock: WallClock = utc_now
    audit: AuditLog | None = None
    metrics: Metrics = field(default_factory=Metrics)
    inflight: InFlight = field(default_factory=InFlight)
    raw: RawReplies = field(default_factory=RawReplies)  # kept only when there are operators
    history: History = field(default_factory=History)  # each person's last lookups (App Home)
    coalescer: Coalescer[Answer] = field(init=False)
    fleet: FleetCalls[Answer] | None = None  # identical lookups joined across replicas
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
        payment: str | None = None,
    ) -> None:
        """The lookup's metrics, and one audit line (when there is an audit log)."""
        seconds = time.monotonic() - started
        self.metrics.lookup(action, outcome, seconds)
        self.audit_line(
            who, action, ref, outcome=outcome, msg_id=msg_id, seconds=seconds, payment=payment
        )

    def audit_line(
        self,
        who: Requester,
        action: Action,
        ref: QrCodeRef | None,
        *,
        outcome: str,
        msg_id: str | None,
        seconds: float = 0.0,
        payment: str | None = None,
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
                payment=payment,
            )
        )
