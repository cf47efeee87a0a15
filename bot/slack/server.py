"""Running the app: HTTP (aiohttp, ``/slack/events`` and ``/healthz``) or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, Settings
from bot.slack.lookups import Services
from bot.slack.webapi import error_code

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
Health = Callable[[], Awaitable[dict[str, Any]]]
Drain = Callable[[], Awaitable[object]]


async def authorize_at_start(settings: Settings) -> AuthorizeResult:
    """Check SLACK_BOT_TOKEN once with ``auth.test``; the result then serves every request."""
    settings.require("slack_bot_token")
    assert settings.slack_bot_token is not None  # noqa: S101  # narrowed by require()
    token = settings.slack_bot_token.get_secret_value()
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        raise ConfigError(f"SLACK_BOT_TOKEN: Slack refused it ({error_code(exc)})") from None
    except OSError as exc:
        raise ConfigError(f"SLACK_API_URL: cannot reach Slack ({exc})") from None
    return AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=token)


def health_report(services: Services, *, mode: str, draining: bool) -> dict[str, Any]:
    """What /healthz says: the mode, the work in flight, the gateway's circuit, the audit trail."""
    breaker = services.gateway.breaker.snapshot()
    return {
        "ok": True,
        "mode": mode,
        "gateway": services.settings.chinaums_env,
        "draining": draining,
        "lookups_in_flight": len(services.inflight),
        "gateway_calls_in_flight": services.gateway.in_flight,
        "gateway_circuit": breaker.state,
        "gateway_failing_since": (
            breaker.failing_since.isoformat() if breaker.failing_since else None
        ),
        "gateway_retry_in_s": round(breaker.retry_in, 1),
        # A failing trail leaves "ok" true: lookups still work and a restart frees no disk.
        "audit": services.audit.health() if services.audit else None,
    }


def create_http_app(bolt_app: AsyncApp, health: Health) -> web.Application:
    """``POST /slack/events`` for commands and interactivity; ``GET /healthz``."""

    async def events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(await health())

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/healthz", healthz)
    return app


class HttpServer:
    """An aiohttp app on a port, that stops gracefully: no new connections, work drained, exit."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self._host = host
        self._port = port
        self._site: web.TCPSite | None = None

    async def start(self) -> str:
        """Listen; returns the base URL (with the real port when 0 was asked)."""
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._host, self._port)
        await self._site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def stop(self, drain: Drain) -> None:
        """Stop taking connections, let *drain* finish the work in flight, then close."""
        if self._site is not None:
            await self._site.stop()
        await drain()
        await self._runner.cleanup()


async def run_http(
    bolt_app: AsyncApp, *, host: str, port: int, health: Health, stop: asyncio.Event, drain: Drain
) -> None:
    """Serve HTTP mode until *stop* is set (SIGTERM), then shut down gracefully."""
    server = HttpServer(create_http_app(bolt_app, health), host, port)
    url = await server.start()
    log.warning(
        "qrinfo serving Slack requests on %s%s; health on %s/healthz", url, EVENTS_PATH, url
    )
    await stop.wait()
    log.warning("stopping: no new requests; finishing the lookups in flight")
    await server.stop(drain)


async def run_socket(
    bolt_app: AsyncApp,
    settings: Settings,
    *,
    host: str,
    port: int,
    health: Health,
    stop: asyncio.Event,
    drain: Drain,
) -> None:
    """Connect over Socket Mode; serve ``/healthz`` (with the socket's state) on *port*."""
    settings.require("slack_app_token")
    assert settings.slack_app_token is not None  # noqa: S101  # narrowed by require()
    handler = AsyncSocketModeHandler(
        bolt_app,
        app_token=settings.slack_app_token.get_secret_value(),
        web_client=AsyncWebClient(base_url=settings.slack_api_url),
    )

    async def socket_health() -> dict[str, Any]:
        # Long-idle sockets have been seen to go silent: ask, do not assume.
        return await health() | {"socket_connected": await handler.client.is_connected()}

    app = web.Application()
    app.router.add_get("/healthz", lambda request: _json(socket_health))
    server = HttpServer(app, host, port)
    await handler.connect_async()  # type: ignore[no-untyped-call]  # unannotated in slack_bolt
    url = await server.start()
    log.warning("qrinfo connected over Socket Mode; health on %s/healthz", url)
    await stop.wait()
    log.warning("stopping: socket closed; finishing the lookups in flight")
    await handler.close_async()  # type: ignore[no-untyped-call]  # unannotated in slack_bolt
    await server.stop(drain)


async def _json(health: Health) -> web.Response:
    return web.json_response(await health())
