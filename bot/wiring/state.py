"""What /healthz and /metrics say about the running parts."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from bot.service.lookup import Services
from bot.service.metrics import Live

log = logging.getLogger(__name__)
T = TypeVar("T")


def live_state(services: Services) -> Live:
    """What /metrics reads from the live objects at each scrape."""
    gateway, tokens = services.gateway, services.gateway.tokens
    audit = services.audit.health() if services.audit else None
    return Live(
        lookups_in_flight=len(services.inflight),
        gateway_calls_in_flight=gateway.admission.in_flight,
        circuit=gateway.breaker.snapshot().state,
        token_requests=dict(tokens.outcomes) if tokens else {},
        token_expires_in=tokens.expires_in() if tokens else None,
        audit_lines_lost=int(audit["lines_lost"]) if audit else 0,
        shared_state=services.shared_state,
    )


def health_report(services: Services, *, mode: str, draining: bool) -> dict[str, Any]:
    """What /healthz says: the mode, the work in flight, the gateway's circuit, the audit trail."""
    breaker = services.gateway.breaker.snapshot()
    return {
        "ok": True,
        "mode": mode,
        "gateway": services.env,
        "draining": draining,
        "lookups_in_flight": len(services.inflight),
        "gateway_calls_in_flight": services.gateway.admission.in_flight,
        "gateway_circuit": breaker.state,
        "gateway_failing_since": (
            breaker.failing_since.isoformat() if breaker.failing_since else None
        ),
        "gateway_retry_in_s": round(breaker.retry_in, 1),
        # A failing trail leaves "ok" true: lookups still work and a restart frees no disk.
        "audit": services.audit.health() if services.audit else None,
        # Lost Redis leaves "ok" true too: lookups go on with each replica's own state.
        "shared_state": services.shared_state,
    }
