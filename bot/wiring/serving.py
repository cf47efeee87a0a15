"""`qrinfo serve`: shared state checked, Slack checked, everything built, served until
stopped."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from bot.config import REDIS_URL_UNREADABLE, Settings
from bot.i18n.catalogue import translator
from bot.service.audit import FLUSH_SECONDS as AUDIT_FLUSH_SECONDS
from bot.service.audit import STDOUT, AuditLog
from bot.service.fleet import WAIT_MARGIN_SECONDS
from bot.service.services import Services
from bot.slack.listeners.listening import GROUP_READ_SECONDS
from bot.slack.serving.front_door import FrontDoor
from bot.slack.serving.http_server import (
    HANDLING_SECONDS,
    HTTP_CLOSE_SECONDS,
    Scrape,
    Serving,
    run_http,
    start_metrics_server,
)
from bot.slack.serving.startup import StartupError, authorize_at_start
from bot.slack.webapi.pool import REPLY_TIMEOUT_SECONDS, ReplyPool
from bot.store.redis import FleetStore, RedisUnreachable
from bot.wiring.build import (
    SlackApp,
    build_gateway,
    build_gateways,
    build_services,
    build_slack_app,
    fleet_store,
    gateway_config,
    new_gateway_http,
)
from bot.wiring.state import health_report
from bot.wiring.stopping import Stop

log = logging.getLogger(__name__)


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


def lookup_budget_seconds(chinaums_timeout: float) -> float:
    """The longest one lookup can take after its ack, each step bounded by the code: a user
    group read for the access check, the gateway (with Redis, a replica may wait out another's
    call, then make its own), and posting the card to the response_url."""
    gateway = chinaums_timeout + WAIT_MARGIN_SECONDS + chinaums_timeout
    return GROUP_READ_SECONDS + gateway + REPLY_TIMEOUT_SECONDS


def longest_stop_seconds(chinaums_timeout: float) -> float:
    """The longest `serve` takes from SIGTERM to its exit: the requests already taken are
    acked, the lookups in flight drain (each within its budget), the server closes, the audit
    writer writes what is queued. Supervisors' stop timeouts are sized from it
    (docs/deploying.md). (A metrics server of its own, QRINFO_METRICS_PORT, closes after,
    with nothing in flight: at once.)"""
    drain = lookup_budget_seconds(chinaums_timeout)
    return HANDLING_SECONDS + drain + HTTP_CLOSE_SECONDS + AUDIT_FLUSH_SECONDS


def gateways_named(settings: Settings) -> str:
    """The gateways lookups go to, by environment and origin (never a path or a secret): what
    an operator checks first when answers look wrong."""
    envs = [settings.gateway.env, *settings.gateway.second_gateways()]
    named = []
    for env in envs:
        url = httpx.URL(gateway_config(settings, env).base_url)
        where = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if env == settings.gateway.env and settings.gateway.uses_inprocess_sandbox:
            where = "the built-in sandbox, in this process"
        default = " (the default)" if len(envs) > 1 and env == settings.gateway.env else ""
        named.append(f"the {env} gateway at {where}{default}")
    return " and ".join(named)


async def serve(settings: Settings, *, mode: str, host: str, port: int, audit: AuditLog) -> None:
    """Check the bot token, build everything, serve until stopped (HTTP or Socket Mode)."""
    assert settings.slack.bot_token is not None  # noqa: S101  # the caller required it
    stop = Stop()  # from the start: a SIGTERM while auth.test waits ends the process quietly
    # logrotate's postrotate step, a dropped SSH session: never a stop.
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, _reopen_audit, audit)
    store = await _fleet_store_at_start(settings)  # before Slack: a wrong URL says so at once
    try:
        await _serve_with(settings, stop, store, mode=mode, host=host, port=port, audit=audit)
    finally:
        if store is not None:
            await store.aclose()


def _reopen_audit(audit: AuditLog) -> None:
    if audit.destination == STDOUT:
        log.warning("SIGHUP: nothing to reopen (the audit trail goes to stdout); serving goes on")
        return
    log.warning("SIGHUP: the audit trail is opened afresh at its next line; serving goes on")
    audit.reopen()


async def _fleet_store_at_start(settings: Settings) -> FleetStore | None:
    """Redis when QRINFO_REDIS_URL is set, checked: StartupError naming it when it does not
    answer."""
    try:
        store = fleet_store(settings)
    except ValueError:  # redis-py's reading of the URL; its words may quote the password
        raise StartupError(f"QRINFO_REDIS_URL: {REDIS_URL_UNREADABLE}") from None
    if store is None:
        return None
    try:
        await store.check()
    except RedisUnreachable as exc:
        await store.aclose()
        raise StartupError(f"QRINFO_REDIS_URL: {exc.reason}") from None
    return store


async def _serve_with(  # what serve has so far, handed on
    settings: Settings,
    stop: Stop,
    store: FleetStore | None,
    *,
    mode: str,
    host: str,
    port: int,
    audit: AuditLog,
) -> None:
    assert settings.slack.bot_token is not None  # noqa: S101  # the caller required it
    authorization = await stop.unless_requested(
        authorize_at_start(
            settings.slack.bot_token.get_secret_value(), api_url=settings.slack.api_url
        )
    )
    if authorization is None:
        log.warning("stopped before start: Slack had not answered auth.test yet")
        return
    http, reply_pool = new_gateway_http(settings), ReplyPool()
    try:
        default = build_gateway(settings, http, store=store)
        gateways = build_gateways(settings, http, default, store=store)
        services = build_services(settings, gateways, audit=audit, store=store)
        slack = build_slack_app(
            settings, services, authorization=authorization, reply_pool=reply_pool
        )
        door = _front_door(settings, slack, services, reply_pool)
        tune_gc_for_bursts()  # after start-up: what exists now lives as long as the process
        stop.serving = True
        await _run(settings, door, services, stop, mode=mode, host=host, port=port)
    finally:
        await reply_pool.aclose()
        await http.aclose()


def _front_door(
    settings: Settings, slack: SlackApp, services: Services, reply_pool: ReplyPool
) -> FrontDoor:
    secret = settings.slack.signing_secret
    return FrontDoor(
        slack.bolt,
        express=slack.express,
        signing_secret=secret.get_secret_value() if secret else None,
        language=translator(settings.logging.language),
        reply_pool=reply_pool,
        metrics=services.metrics,
        acks_first=slack.acks_first,
    )


async def _run(  # what serve built, handed on
    settings: Settings,
    door: FrontDoor,
    services: Services,
    stop: Stop,
    *,
    mode: str,
    host: str,
    port: int,
) -> None:

    async def health() -> dict[str, Any]:
        return health_report(services, mode=mode, draining=stop.requested.is_set())

    def listening() -> None:
        log.warning("qrinfo asks %s", gateways_named(settings))

    async def drain() -> None:
        wait = lookup_budget_seconds(settings.gateway.timeout)
        await stop.drain(services.inflight.drain(wait), lambda: len(services.inflight))

    async with _metrics_where_asked(settings, services, host) as scrape:
        serving = Serving(
            host=host,
            port=port,
            health=health,
            scrape=scrape,
            stop=stop.requested,
            drain=drain,
            listening=listening,
        )
        if mode == "socket":
            await _run_socket(settings, door, serving)
        else:
            await run_http(door, serving)


async def _run_socket(settings: Settings, door: FrontDoor, serving: Serving) -> None:
    # Imported here, not at the top: HTTP mode never loads slack_sdk's Socket Mode client.
    from bot.slack.serving.socket_mode import run_socket  # noqa: PLC0415

    token = settings.slack.app_token
    assert token is not None  # noqa: S101  # the caller required it
    await run_socket(
        door, serving, app_token=token.get_secret_value(), api_url=settings.slack.api_url
    )


@asynccontextmanager
async def _metrics_where_asked(
    settings: Settings, services: Services, host: str
) -> AsyncIterator[Scrape | None]:
    """/metrics on the serving port (its scrape given), or on QRINFO_METRICS_PORT (None
    given: served there until the end of the drain)."""
    if settings.slack.metrics_port is None:
        yield services.metrics.exposition
        return
    server = await start_metrics_server(
        services.metrics.exposition, host=host, port=settings.slack.metrics_port
    )
    try:
        yield None
    finally:
        await server.stop(_nothing_to_drain)


async def _nothing_to_drain() -> None:
    return None
