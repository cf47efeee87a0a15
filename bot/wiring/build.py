"""Building the parts: Settings -> the gateway client, the lookup service, the Slack app,
the demo's app and the sandbox."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import GATEWAY_URLS, Settings
from bot.gateway.breaker import Breaker
from bot.gateway.client import QrCodeClient, create_client
from bot.gateway.config import Environment, GatewayConfig
from bot.gateway.protocol import NonceFactory, WallClock, utc_now
from bot.gateway.signing import new_nonce
from bot.gateway.transport import new_http_client
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import serve_sandbox
from bot.sandbox.transport import SandboxTransport
from bot.service.answer import decode_answer, encode_answer
from bot.service.audit import AuditLog
from bot.service.fleet import WAIT_MARGIN_SECONDS, FleetCalls
from bot.service.gateways import Gateways
from bot.service.guard import Guard, Policy
from bot.service.history import History
from bot.service.metrics import Metrics
from bot.service.services import Services
from bot.slack.listeners.app import build_app, fixed_authorize
from bot.slack.listeners.express import Express
from bot.slack.webapi.acks_first import AcksFirst
from bot.slack.webapi.language import LocaleLookup, Readers, users_info_locale
from bot.slack.webapi.pool import ReplyPool
from bot.store.breaker import RedisBreaker
from bot.store.redis import FleetStore
from bot.store.tokens import RedisTokens
from bot.version import version
from bot.wiring.state import live_state

log = logging.getLogger(__name__)
T = TypeVar("T")


def gateway_config(settings: Settings, env: Environment | None = None) -> GatewayConfig:
    """A gateway client's own configuration: the default gateway's (the sandbox's developer
    when none is set), or that of the second gateway for *env* (CHINAUMS_TEST_*, _PROD_*)."""
    seconds = settings.gateway.second_gateways() if env != settings.gateway.env else {}
    second = next((g for e, g in seconds.items() if e == env), None)
    if second is not None and second.app_id is not None and second.app_key is not None:
        base_url = second.base_url or GATEWAY_URLS[str(env)]
        app_id, app_key, auth = second.app_id, second.app_key, second.auth
    else:
        key = settings.gateway.default.app_key
        base_url, app_id = settings.gateway.url, settings.gateway.default.app_id or SANDBOX_APP_ID
        app_key = key if key is not None else SecretStr(SANDBOX_APP_KEY)
        auth = settings.gateway.default.auth
    return GatewayConfig(
        base_url=base_url,
        app_id=app_id,
        app_key=app_key,
        auth=auth,
        timeout=settings.gateway.timeout,
        max_in_flight=settings.gateway.max_in_flight,
        system_id=settings.gateway.system_id,
        src_reserve=settings.gateway.src_reserve,
        breaker_failures=settings.gateway.breaker_failures,
        breaker_cooldown=settings.gateway.breaker_cooldown,
    )


def new_gateway_http(settings: Settings) -> httpx.AsyncClient:
    """The process's HTTP client for gateway calls.

    With ``CHINAUMS_ENV=sandbox`` and no ``CHINAUMS_BASE_URL`` the sandbox runs
    inside the process: no port, no network (for the gateways beside it, the network).
    """
    seconds = settings.gateway.second_gateways()
    if settings.gateway.uses_inprocess_sandbox and not seconds:
        return new_http_client(transport=SandboxTransport())
    # One connection per lookup allowed in flight, per gateway: the pool never queues them.
    mounts: dict[str, httpx.AsyncBaseTransport] | None = (
        {settings.gateway.url: SandboxTransport()}
        if settings.gateway.uses_inprocess_sandbox
        else None
    )
    return new_http_client(
        max_connections=settings.gateway.max_in_flight * (1 + len(seconds)), mounts=mounts
    )


def build_gateway(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    wall_clock: WallClock = utc_now,
    nonce: NonceFactory = new_nonce,
    breaker: Breaker | None = None,
    store: FleetStore | None = None,
    env: Environment | None = None,
) -> QrCodeClient:
    """The default gateway's client (or the second gateway's for *env*), on the process's
    *http* client (its breaker and token the fleet's, with a *store*)."""
    config = gateway_config(settings, env)
    second = env is not None and env != settings.gateway.env
    # The default gateway's keys as before; a second gateway has its own.
    scope = ("gateway", _scope(config)) if second else ()
    return create_client(
        config,
        http,
        wall_clock=wall_clock,
        nonce=nonce,
        breaker=breaker,
        fleet_breaker=RedisBreaker(store, scope=scope) if store is not None else None,
        fleet_tokens=RedisTokens(store, scope=scope) if store is not None else None,
    )


def build_gateways(
    settings: Settings,
    http: httpx.AsyncClient,
    default: QrCodeClient,
    *,
    wall_clock: WallClock = utc_now,
    store: FleetStore | None = None,
) -> Gateways:
    """The *default* gateway and the second ones (CHINAUMS_TEST_*, CHINAUMS_PROD_*), each
    with its own breaker, cap and token."""
    clients: dict[Environment, QrCodeClient] = {settings.gateway.env: default}
    for env in settings.gateway.second_gateways():
        clients[env] = build_gateway(settings, http, wall_clock=wall_clock, store=store, env=env)
    return _gateways(settings, clients)


def _gateways(settings: Settings, clients: dict[Environment, QrCodeClient]) -> Gateways:
    return Gateways(settings.gateway.env, clients, settings_for=settings.gateway.settings_for)


def _scope(gateway: GatewayConfig) -> str:
    return hashlib.sha256(f"{gateway.base_url} {gateway.app_id}".encode()).hexdigest()[:8]


def fleet_store(settings: Settings) -> FleetStore | None:
    """Redis for the state replicas share, when QRINFO_REDIS_URL is set. Its keys are under
    QRINFO_REDIS_PREFIX and then the gateway's: replicas of one bot share, a bot on another
    gateway or appId (a test bot beside a prod one) never takes their token or answers.
    ValueError when the URL is not one redis-py can use (a port that is no number)."""
    url = settings.redis.url
    if url is None:
        return None
    return FleetStore(
        url.get_secret_value(),
        prefix=f"{settings.redis.prefix}:{_scope(gateway_config(settings))}",
        call_seconds=settings.redis.timeout,
    )


def build_services(
    settings: Settings,
    gateway: QrCodeClient | Gateways,
    *,
    audit: AuditLog | None = None,
    wall_clock: WallClock = utc_now,
    store: FleetStore | None = None,
) -> Services:
    """The lookup service on *gateway* (the default one alone, or all of them): guard, coalescer
    of identical lookups, audit (limits and identical lookups across replicas, with a
    *store*)."""
    if isinstance(gateway, QrCodeClient):
        gateway = _gateways(settings, {settings.gateway.env: gateway})
    services = Services(
        gateways=gateway,
        guard=Guard(_policy(settings), store=store),
        access_hint=settings.guard.access_hint,
        coalesce_seconds=settings.guard.coalesce_seconds,
        payment_timeout=settings.gateway.payment_timeout,
        wall_clock=wall_clock,
        audit=audit,
        metrics=Metrics(version=version()),
    )
    if store is not None:
        services.store = store
        services.history = History(store=store)
        services.fleet = FleetCalls(
            store,
            window=settings.guard.coalesce_seconds,
            deadline=settings.gateway.timeout + WAIT_MARGIN_SECONDS,
            keep=lambda answer: answer.definite,
            encode=encode_answer,
            decode=decode_answer,
        )
    services.metrics.gateways(env for env, _ in services.gateways)
    services.metrics.watch(lambda: live_state(services))
    return services


def _policy(settings: Settings) -> Policy:
    """The guard's policy: who may look up, how often, and who may see status and raw
    replies."""
    return Policy(
        teams=settings.guard.allowed_teams,
        enterprises=settings.guard.allowed_enterprises,
        channels=settings.guard.allowed_channels,
        users=settings.guard.allowed_users,
        usergroups=settings.guard.allowed_usergroups,
        operators=settings.guard.operators,
        user_rate=settings.guard.user_rate,
        workspace_rate=settings.guard.workspace_rate,
        usergroup_cache_seconds=settings.guard.usergroup_cache_seconds,
    )


@dataclass(frozen=True, slots=True)
class SlackApp:
    """The Bolt app, and the express path for /qrinfo over HTTP beside it (the same
    listener and readers: :mod:`bot.slack.listeners.express`); what its front door tells
    of each verified request, so that under a burst work that can wait waits for the acks
    (:mod:`bot.slack.webapi.acks_first`)."""

    bolt: AsyncApp
    express: Express
    acks_first: AcksFirst


def build_slack_app(
    settings: Settings,
    services: Services,
    *,
    authorization: AuthorizeResult,
    reply_pool: ReplyPool | None = None,
    readers: Readers | None = None,
    acks_first: AcksFirst | None = None,
) -> SlackApp:
    """The Slack app for *services*, answering as *authorization* (auth.test's result).

    Readers get their Slack locale's language (users.info), QRINFO_LANGUAGE when Slack
    will not say, unless *readers* says otherwise (the demo: no Slack to ask).
    """
    secret = settings.slack.signing_secret
    acks_first = AcksFirst() if acks_first is None else acks_first
    if readers is None:
        readers = build_readers(settings, services, reply_pool, acks_first)
    bolt = build_app(
        services,
        authorize=fixed_authorize(authorization),
        signing_secret=secret.get_secret_value() if secret else None,
        api_url=settings.slack.api_url,
        readers=readers,
        reply_pool=reply_pool,
    )
    express = Express(bolt, services, readers, authorization=authorization, reply_pool=reply_pool)
    return SlackApp(bolt, express, acks_first)


def build_readers(
    settings: Settings, services: Services, reply_pool: ReplyPool | None, acks_first: AcksFirst
) -> Readers:
    """Readers asking Slack (users.info) on *reply_pool*'s connections, at most as many at
    once as it opens, and under a burst once the acks have caught up (*acks_first*)."""
    return Readers(
        settings.logging.language,
        lookup=_locale_lookup(reply_pool),
        store=services.store,
        acks_first=acks_first,
        max_asking=reply_pool.max_api_connections if reply_pool is not None else None,
    )


def _locale_lookup(reply_pool: ReplyPool | None) -> LocaleLookup:
    """users.info, on *reply_pool*'s kept-alive connections when there is one."""
    if reply_pool is None:
        return users_info_locale

    def lookup(client: AsyncWebClient, user: str) -> Awaitable[str | None]:
        return users_info_locale(client, user, connections=reply_pool.api_connections)

    return lookup


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
    slack = settings.slack.model_copy(update={"signing_secret": SecretStr(signing_secret)})
    settings = settings.model_copy(update={"slack": slack})
    http = new_gateway_http(settings)
    try:
        default = build_gateway(settings, http)
        services = build_services(settings, build_gateways(settings, http, default))
        readers = Readers(settings.logging.language, lookup=None)  # no Slack to ask
        app = build_slack_app(settings, services, authorization=authorization, readers=readers)
        yield DemoApp(app.bolt, signing_secret, reply_wait=settings.gateway.timeout + 5)
    finally:
        await http.aclose()
