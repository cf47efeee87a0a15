"""The composition root: turns Settings into the gateway client, the lookup service and the
Slack app, and runs `qrinfo serve`, `qrinfo demo`'s app and `qrinfo sandbox`.

Settings are read here and by the entry point (bot.cli) only: every layer below takes its
own plain configuration (GatewayConfig, Policy, Services) and the kit takes a built app.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.config import Settings
from bot.gateway.breaker import CircuitBreaker
from bot.gateway.client import QrCodeClient, create_client
from bot.gateway.config import GatewayConfig
from bot.gateway.protocol import NonceFactory, WallClock, utc_now
from bot.gateway.signing import new_nonce
from bot.gateway.transport import new_http_client
from bot.i18n.catalogue import translator
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import serve_sandbox
from bot.sandbox.transport import SandboxTransport
from bot.service.audit import AuditLog
from bot.service.guard import Guard, Policy
from bot.service.lookup import Services
from bot.service.metrics import Live, Metrics
from bot.slack.app import build_app, fixed_authorize
from bot.slack.front_door import FrontDoor
from bot.slack.http_server import run_http
from bot.slack.language import Readers, users_info_locale
from bot.slack.pool import ReplyPool
from bot.slack.socket_mode import run_socket
from bot.slack.startup import authorize_at_start
from bot.version import version

log = logging.getLogger(__name__)
T = TypeVar("T")


def gateway_config(settings: Settings) -> GatewayConfig:
    """The gateway client's own configuration; the sandbox's developer when none is set."""
    key = settings.chinaums_app_key
    return GatewayConfig(
        base_url=settings.gateway_url,
        app_id=settings.chinaums_app_id or SANDBOX_APP_ID,
        app_key=key if key is not None else SecretStr(SANDBOX_APP_KEY),
        auth=settings.chinaums_auth,
        timeout=settings.chinaums_timeout,
        max_in_flight=settings.chinaums_max_in_flight,
        system_id=settings.chinaums_system_id,
        src_reserve=settings.chinaums_src_reserve,
        breaker_failures=settings.qrinfo_breaker_failures,
        breaker_cooldown=settings.qrinfo_breaker_cooldown,
    )


def new_gateway_http(settings: Settings) -> httpx.AsyncClient:
    """The process's HTTP client for gateway calls.

    With ``CHINAUMS_ENV=sandbox`` and no ``CHINAUMS_BASE_URL`` the sandbox runs
    inside the process: no port, no network.
    """
    if settings.uses_inprocess_sandbox:
        return new_http_client(transport=SandboxTransport())
    # One connection per lookup allowed in flight: the pool never queues them.
    return new_http_client(max_connections=settings.chinaums_max_in_flight)


def build_gateway(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    wall_clock: WallClock = utc_now,
    nonce: NonceFactory = new_nonce,
    breaker: CircuitBreaker | None = None,
) -> QrCodeClient:
    """The gateway client the settings describe, on the process's *http* client."""
    return create_client(
        gateway_config(settings), http, wall_clock=wall_clock, nonce=nonce, breaker=breaker
    )


def build_services(
    settings: Settings,
    gateway: QrCodeClient,
    *,
    audit: AuditLog | None = None,
    wall_clock: WallClock = utc_now,
) -> Services:
    """The lookup service: guard, sharing of identical lookups, audit."""
    policy = Policy(
        teams=settings.qrinfo_allowed_teams,
        enterprises=settings.qrinfo_allowed_enterprises,
        channels=settings.qrinfo_allowed_channels,
        users=settings.qrinfo_allowed_users,
        usergroups=settings.qrinfo_allowed_usergroups,
        operators=settings.qrinfo_operators,
        user_rate=settings.qrinfo_user_rate,
        workspace_rate=settings.qrinfo_workspace_rate,
        usergroup_cache_seconds=settings.qrinfo_usergroup_cache_seconds,
    )
    services = Services(
        gateway=gateway,
        guard=Guard(policy),
        env=settings.chinaums_env,
        access_hint=settings.qrinfo_access_hint,
        coalesce_seconds=settings.qrinfo_coalesce_seconds,
        wall_clock=wall_clock,
        audit=audit,
        metrics=Metrics(version=version()),
    )
    services.metrics.watch(lambda: live_state(services))
    return services


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
    )


def build_slack_app(
    settings: Settings,
    services: Services,
    *,
    authorization: AuthorizeResult,
    reply_pool: ReplyPool | None = None,
    readers: Readers | None = None,
) -> AsyncApp:
    """The Slack app for *services*, answering as *authorization* (auth.test's result).

    Readers get their Slack locale's language (users.info), QRINFO_LANGUAGE when Slack
    will not say, unless *readers* says otherwise (the demo: no Slack to ask).
    """
    secret = settings.slack_signing_secret
    if readers is None:
        readers = Readers(settings.qrinfo_language, lookup=users_info_locale)
    return build_app(
        services,
        authorize=fixed_authorize(authorization),
        signing_secret=secret.get_secret_value() if secret else None,
        api_url=settings.slack_api_url,
        readers=readers,
        reply_pool=reply_pool,
    )


def sandbox_faults(
    *,
    latency_ms: float,
    jitter_ms: float,
    error_rate: float,
    malformed_rate: float,
    hang_rate: float,
    seed: int | None,
) -> FaultConfig:
    """`qrinfo sandbox`'s fault flags, checked (ValueError says which is out of range)."""
    return FaultConfig(
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        error_rate=error_rate,
        malformed_rate=malformed_rate,
        hang_rate=hang_rate,
        seed=seed,
    )


async def run_sandbox(
    faults: FaultConfig, *, host: str, port: int, announce: Callable[[str], None]
) -> None:
    """`qrinfo sandbox`: the simulated gateway on *host*:*port* until stopped."""
    await serve_sandbox(SandboxGateway(faults=faults), host=host, port=port, announce=announce)


@dataclass(frozen=True, slots=True)
class DemoApp:
    """The app `qrinfo demo` drives, with the signing secret its requests are signed with."""

    app: AsyncApp
    signing_secret: str = field(repr=False)
    reply_wait: float  # how long the card may take: the gateway's timeout and some


@asynccontextmanager
async def demo_app(settings: Settings, *, authorization: AuthorizeResult) -> AsyncIterator[DemoApp]:
    """The full app on the configured gateway, with a signing secret of this run's own."""
    signing_secret = secrets.token_hex(16)  # nothing real to protect: it never leaves the process
    settings = settings.model_copy(update={"slack_signing_secret": SecretStr(signing_secret)})
    http = new_gateway_http(settings)
    try:
        services = build_services(settings, build_gateway(settings, http))
        readers = Readers(settings.qrinfo_language, lookup=None)  # no Slack to ask
        app = build_slack_app(settings, services, authorization=authorization, readers=readers)
        yield DemoApp(app, signing_secret, reply_wait=settings.chinaums_timeout + 5)
    finally:
        await http.aclose()


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
    }


def tune_gc_for_bursts() -> None:
    """Make the cyclic garbage collector cheap during a burst.

    Measured on the 1,000-command burst (bench/run.py): with the defaults the
    collector ran 611 times for about 650 ms in all, with full (generation 2)
    pauses up to 150 ms that stall every ack behind them (ack p99 380-470 ms).
    Freezing what start-up built (it lives as long as the process) takes it
    out of every collection, and a larger first threshold turns hundreds of
    young collections into a handful: 5 collections, about 100 ms in all, ack
    p99 about 80 ms, 1.9 -> 1.35 ms of CPU per command.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


class _Stop:
    """SIGTERM/SIGINT: the first drains the lookups in flight, a second stops at once."""

    def __init__(self) -> None:
        self.requested, self.now = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._signal)

    def _signal(self) -> None:
        (self.now if self.requested.is_set() else self.requested).set()

    async def unless_requested(self, work: Coroutine[Any, Any, T]) -> T | None:
        """*work*'s result, or None (and *work* cancelled) if a stop is requested first."""
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self.requested.wait())
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not task.done():
            task.cancel()
            return None
        return task.result()

    async def drain(self, services: Services, wait: float) -> None:
        """Let the lookups in flight finish (at most *wait* s, or until a second signal)."""
        draining = asyncio.ensure_future(services.inflight.drain(wait))
        forced = asyncio.ensure_future(self.now.wait())
        await asyncio.wait([draining, forced], return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        if not (draining.done() and draining.result()):
            draining.cancel()
            log.warning("%d lookups still running at exit", len(services.inflight))


async def serve(settings: Settings, *, mode: str, host: str, port: int, audit: AuditLog) -> None:
    """Check the bot token, build everything, serve until stopped (HTTP or Socket Mode)."""
    assert settings.slack_bot_token is not None  # noqa: S101  # the caller required it
    stop = _Stop()  # from the start: a SIGTERM while auth.test waits ends the process quietly
    authorization = await stop.unless_requested(
        authorize_at_start(
            settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url
        )
    )
    if authorization is None:
        log.warning("stopped before start: Slack had not answered auth.test yet")
        return
    http, reply_pool = new_gateway_http(settings), ReplyPool()
    try:
        services = build_services(settings, build_gateway(settings, http), audit=audit)
        app = build_slack_app(
            settings, services, authorization=authorization, reply_pool=reply_pool
        )
        secret = settings.slack_signing_secret
        door = FrontDoor(
            app,
            signing_secret=secret.get_secret_value() if secret else None,
            language=translator(settings.qrinfo_language),
            reply_pool=reply_pool,
            metrics=services.metrics,
        )
        tune_gc_for_bursts()  # after start-up: what exists now lives as long as the process
        await _run(settings, door, services, stop, mode=mode, host=host, port=port)
    finally:
        await reply_pool.aclose()
        await http.aclose()


async def _run(  # what serve built, handed on
    settings: Settings,
    door: FrontDoor,
    services: Services,
    stop: _Stop,
    *,
    mode: str,
    host: str,
    port: int,
) -> None:

    async def health() -> dict[str, Any]:
        return health_report(services, mode=mode, draining=stop.requested.is_set())

    async def drain() -> None:
        # A lookup ends within its deadline; its reply needs a moment more.
        await stop.drain(services, settings.chinaums_timeout + 5)

    if mode == "socket":
        assert settings.slack_app_token is not None  # noqa: S101  # the caller required it
        await run_socket(
            door,
            app_token=settings.slack_app_token.get_secret_value(),
            api_url=settings.slack_api_url,
            host=host,
            port=port,
            health=health,
            scrape=services.metrics.exposition,
            stop=stop.requested,
            drain=drain,
        )
    else:
        await run_http(
            door,
            host=host,
            port=port,
            health=health,
            scrape=services.metrics.exposition,
            stop=stop.requested,
            drain=drain,
        )
