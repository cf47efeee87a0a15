"""What `/qrinfo status` shows: the gateway, its breaker and token, the last minutes, the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.gateway.breaker import BreakerSnapshot
from bot.gateway.config import Environment
from bot.service.recent import RecentSummary
from bot.service.services import Services


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    """One gateway's state."""

    env: Environment
    gateway_url: str
    auth: str  # body-sig | token
    breaker: BreakerSnapshot
    token_expires_in: float | None  # seconds; None: no token held (or body-sig)


@dataclass(frozen=True, slots=True)
class Status:
    """One moment of the bot's state, for an operator."""

    gateways: tuple[GatewayStatus, ...]  # the default one first
    recent: RecentSummary
    version: str
    uptime: float  # seconds
    now: datetime
    fleet: str | None = None  # None (one process), "redis" or "degraded" (Redis lost)


def status_of(services: Services) -> Status:
    metrics = services.metrics
    return Status(
        gateways=tuple(
            GatewayStatus(
                env=env,
                gateway_url=gateway.base_url,
                auth=gateway.auth_scheme,
                breaker=gateway.breaker.snapshot(),
                token_expires_in=gateway.tokens.expires_in() if gateway.tokens else None,
            )
            for env, gateway in services.gateways
        ),
        recent=metrics.recent.summary(),
        version=metrics.version,
        uptime=metrics.uptime,
        now=services.wall_clock(),
        fleet=services.fleet_state,
    )
