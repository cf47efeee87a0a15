"""What /healthz and /metrics say about the running parts."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from bot.gateway.client import QrCodeClient
from bot.service.live_metrics import Live, LiveGateway
from bot.service.services import Services

log = logging.getLogger(__name__)
T = TypeVar("T")


def live_state(services: Services) -> Live:
    """What /metrics reads from the live objects at each scrape."""
    audit = services.audit.health() if services.audit else None
    return Live(
        lookups_in_flight=len(services.inflight),
        gateways=tuple(
            LiveGateway(
                env=env,
                calls_in_flight=gateway.admission.in_flight,
                breaker=gateway.breaker.snapshot().state,
                token_requests=dict(gateway.tokens.outcomes) if gateway.tokens else {},
                token_expires_in=gateway.tokens.expires_in() if gateway.tokens else None,
            )
            for env, gateway in services.gateways
        ),
        audit_lines_lost=int(audit["lines_lost"]) if audit else 0,
        fleet_state=services.fleet_state,
    )


def _gateway_health(gateway: QrCodeClient) -> dict[str, Any]:
    breaker = gateway.breaker.snapshot()
    return {
        "calls_in_flight": gateway.admission.in_flight,
        "circuit": breaker.state,
        "failing_since": breaker.failing_since.isoformat() if breaker.failing_since else None,
        "retry_in_s": round(breaker.retry_in, 1),
    }


def health_report(services: Services, *, mode: str, draining: bool) -> dict[str, Any]:
    """What /healthz says: the mode, the work in flight, the default gateway's breaker (and
    each gateway's under "gateways"), the audit trail."""
    gateways = {env: _gateway_health(gateway) for env, gateway in services.gateways}
    default = gateways[services.env]
    return {
        "ok": True,
        "mode": mode,
        "gateway": services.env,
        "draining": draining,
        "lookups_in_flight": len(services.inflight),
        # The default gateway's, as before there were several; each one's under "gateways".
        "gateway_calls_in_flight": default["calls_in_flight"],
        "gateway_circuit": default["circuit"],
        "gateway_failing_since": default["failing_since"],
        "gateway_retry_in_s": default["retry_in_s"],
        "gateways": gateways,
        # A failing trail leaves "ok" true: lookups still work and a restart frees no disk.
        "audit": services.audit.health() if services.audit else None,
        # Lost Redis leaves "ok" true too: lookups go on with each replica's own state.
        "shared_state": services.fleet_state,
    }
