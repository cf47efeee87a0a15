"""Running the app: HTTP (aiohttp, ``/slack/events`` and ``/healthz``) or Socket Mode.

Both doors check a request before Bolt sees it (see :mod:`bot.slack.inbound`):
over HTTP its signature, then its shape; over the socket (authenticated by the
app token) its shape.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, Settings
from bot.network import cannot_listen, http_url
from bot.slack.cards import unreadable_request_card
from bot.slack.inbound import (
    NotFromSlack,
    NotSlackShaped,
    check_payload,
    check_signature,
    read_body,
)
from bot.slack.lookups import Services
from bot.slack.pool import PooledRespond, ReplyPool
from bot.slack.replies import send_card
from bot.slack.webapi import (
    WEB_API_TIMEOUT_SECONDS,
    refused_by_slack,
    unreachable,
)

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
BODY_SECONDS = 10.0
Health = Callable[[], Awaitable[dict[str, Any]]]
Drain = Callable[[], Awaitable[object]]


class StartupError(Exception):
    """`serve` cannot start for a reason outside its settings (Slack down, port taken): one line."""


async def authorize_at_start(
    settings: Settings, *, answer_within: int = WEB_API_TIMEOUT_SECONDS
) -> AuthorizeResult:
    """Check SLACK_BOT_TOKEN once with ``auth.test``; the result then serves every request.

    A refused token is a ConfigError naming the variable; no usable answer
    within *answer_within* seconds is StartupError saying what happened.
    """
    settings.require("slack_bot_token")
    assert settings.slack_bot_token is not None  # noqa: S101  # narrowed by require()
    token = settings.slack_bot_token.get_secret_value()
    url = settings.slack_api_url
    client = AsyncWebClient(token=token, base_url=url, timeout=answer_within)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        code = refused_by_slack(exc)
        if code is None:
            raise StartupError(unreachable(exc, url + "auth.test")) from None
        raise ConfigError(f"SLACK_BOT_TOKEN: Slack refused it ({code})") from None
    except (aiohttp.ClientError, OSError) as exc:  # OSError includes TimeoutError
        raise StartupError(unreachable(exc, url + "auth.test", timeout=answer_within)) from None
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


class RefusalLog:
    """One WARNING per reason a minute for refused requests, with how many were not logged.

    A wrong SLACK_SIGNING_SECRET refuses every real request: the operator must
    see it. A flood of forged requests must not flood the log. Nothing of the
    request itself is logged: it is not Slack's.
    """

    def __init__(self, *, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def note(self, reason: str) -> None:
        now = self._clock()
        last = self._last.get(reason)
        if last is not None and now - last < self._every:
            self._quiet[reason] = self._quiet.get(reason, 0) + 1
            return
        self._last[reason] = now
        quiet = self._quiet.pop(reason, 0)
        more = f" ({quiet} more since the last notice)" if quiet else ""
        log.warning("refused a request to %s: %s%s", EVENTS_PATH, reason, more)


class FrontDoor:
    """What every request passes before the Bolt app sees it."""

    def __init__(
        self,
        app: AsyncApp,
        *,
        signing_secret: str | None,
        replies: ReplyPool | None = None,
        clock: Callable[[], float] = time.time,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.app = app
        self.body_seconds = body_seconds
        self._secret = signing_secret
        self._replies = replies
        self._clock = clock
        self.refusals = RefusalLog()
        self._notices: set[asyncio.Task[object]] = set()

    async def http(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: 401 unless Slack signed it; ignored unless it is Slack-shaped."""
        try:
            raw = await _raw_body(request, self.body_seconds)
            if self._secret is None:
                raise NotFromSlack("no SLACK_SIGNING_SECRET, so no request can be verified")
            check_signature(
                self._secret,
                timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                signature=request.headers.get("X-Slack-Signature"),
                body=raw,
                now=self._clock(),
            )
        except NotFromSlack as exc:
            self.refusals.note(exc.reason)
            return web.Response(status=401)
        try:
            body = read_body(raw, request.content_type)
            bolt_request = _admit(body, raw=raw.decode("utf-8"), headers=request.headers)
        except NotSlackShaped as exc:
            self._ignore(exc.reason, exc.response_url)
            return web.Response(status=200)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def socket(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        """One Socket Mode envelope: acked and ignored unless shaped like Slack's, else to Bolt."""
        started = time.time()
        try:
            bolt_request = _admit(request.payload, headers=build_headers(request), socket=True)
        except NotSlackShaped as exc:
            self._ignore(exc.reason, exc.response_url)
            await client.send_socket_mode_response(
                SocketModeResponse(envelope_id=request.envelope_id)
            )
            return
        response = await self.app.async_dispatch(bolt_request)
        await send_async_response(client, request, response, started)

    def _ignore(self, reason: str, response_url: str | None) -> None:
        """A verified request Slack would not send: one WARNING; a word to the sender if we can."""
        log.warning("ignored a request that Slack would not send: %s", reason)
        if response_url:
            task = asyncio.ensure_future(self._tell(response_url, reason))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _tell(self, response_url: str, reason: str) -> None:
        respond = (
            PooledRespond(response_url=response_url, pool=self._replies)
            if self._replies is not None
            else AsyncRespond(response_url=response_url)
        )
        await send_card(respond, unreadable_request_card(reason), replace_original=False)


async def _raw_body(request: web.Request, seconds: float) -> bytes:
    """The body as sent; NotFromSlack when it cannot be read (so it cannot be verified either)."""
    if request.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise NotFromSlack("a compressed body (Slack sends none)")
    try:
        async with asyncio.timeout(seconds):  # Slack sends a few KB at once
            return await request.read()
    except TimeoutError:
        raise NotFromSlack("a body that did not arrive in time") from None
    except (OSError, aiohttp.ClientPayloadError, web.HTTPException):
        # The client hung up mid-body, or sent less than it announced.
        raise NotFromSlack("a body that did not arrive whole") from None


def _admit(
    body: dict[str, Any],
    *,
    raw: str = "",
    headers: Mapping[str, Any] | None = None,
    socket: bool = False,
) -> AsyncBoltRequest:
    """The Bolt request for *body* as we read it, or NotSlackShaped.

    Built from our dict, not from the text: Bolt's own reading loses commands
    that mention "payload". *raw* is kept for the in-app signature check.
    """
    check_payload(body)
    try:
        # A dict body is only accepted in Socket Mode; the mode is set right after.
        request = AsyncBoltRequest(
            body=body,
            headers=dict(headers or {}),
            mode="socket_mode",
        )
    except Exception as exc:  # noqa: BLE001  # Bolt's context reading indexes unchecked
        raise NotSlackShaped(f"Bolt cannot read it ({type(exc).__name__})") from None
    request.raw_body, request.mode = raw, "socket_mode" if socket else "http"
    for key in ("team_id", "enterprise_id", "user_id", "channel_id", "response_url"):
        if not isinstance(request.context.get(key, ""), str):
            raise NotSlackShaped(f"its {key} is not a string")
    return request


def create_http_app(door: FrontDoor, health: Health) -> web.Application:
    """``POST /slack/events`` for commands and interactivity; ``GET /healthz``."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(await health())

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(EVENTS_PATH, door.http)
    app.router.add_get("/healthz", healthz)
    return app


class _MalformedHttpInOneLine(logging.Filter):
    """aiohttp logs a request it cannot parse (a NUL in a header, a folded line) at ERROR with
    a traceback. Anyone who reaches the port can send those: one INFO line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = (
                "refused a malformed HTTP request: %s",
                (type(error).__name__,),
            )
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = record.exc_text = None
            # The logger's level was checked at ERROR; at INFO it may not be enabled.
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def _quiet_malformed_http() -> None:
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _MalformedHttpInOneLine) for f in logger.filters):
        logger.addFilter(_MalformedHttpInOneLine())


class HttpServer:
    """An aiohttp app on a port, that stops gracefully: no new connections, work drained, exit."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        # auto_decompress off: a body is verified as sent, and Slack compresses none (the
        # front door refuses a Content-Encoding before aiohttp could fail inflating it).
        # shutdown_timeout: our work in flight is drained before cleanup; what is left
        # then is a handler still reading a body someone never finishes sending.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            auto_decompress=False,
            shutdown_timeout=2.0,
        )
        _quiet_malformed_http()
        self._host = host
        self._port = port
        self._site: web.TCPSite | None = None

    async def start(self) -> str:
        """Listen; returns the base URL (with the real port when 0 was asked)."""
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._host, self._port)
        try:
            await self._site.start()
        except OSError as exc:  # a port in use, an address not on this host, a name unknown
            await self._runner.cleanup()
            raise StartupError(cannot_listen(exc, self._host, self._port)) from None
        host, port = self._runner.addresses[0][:2]
        return http_url(host, port)

    async def stop(self, drain: Drain) -> None:
        """Stop taking connections, let *drain* finish the work in flight, then close. Once."""
        if self._site is None:
            return
        site, self._site = self._site, None
        await site.stop()
        await drain()
        await self._runner.cleanup()


async def run_http(
    door: FrontDoor, *, host: str, port: int, health: Health, stop: asyncio.Event, drain: Drain
) -> None:
    """Serve HTTP mode until *stop* is set (SIGTERM), then shut down gracefully."""
    server = HttpServer(create_http_app(door, health), host, port)
    url = await server.start()
    log.warning(
        "qrinfo serving Slack requests on %s%s; health on %s/healthz", url, EVENTS_PATH, url
    )
    await stop.wait()
    log.warning("stopping: no new requests; finishing the lookups in flight")
    await server.stop(drain)


class _ConnectionLog(logging.LoggerAdapter):  # type: ignore[type-arg]  # generic only in stubs
    """slack_sdk's logger for one connection, and the only hook its connect loop leaves.

    slack_sdk retries a failed websocket connection with the same URL, every
    ping interval, forever; Slack's URLs are single-use, so a dead one never
    heals. When it reports a failed attempt, the URL is dropped so the next
    attempt asks :meth:`SocketConnection.issue_new_wss_url` for a fresh one, and
    the report is one WARNING line instead of a traceback.
    """

    def __init__(self, connection: SocketConnection) -> None:
        super().__init__(logging.getLogger("bot.slack.socket"), {})
        self.connection = connection

    @property
    def level(self) -> int:  # Bolt's Socket Mode adapter reads client.logger.level
        return int(self.logger.level)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        if str(msg).startswith("Failed to connect"):
            self.connection.wss_uri = None
            # The URL in the message carries a one-time ticket: never log it.
            self.warning(_WSS_QUERY.sub(r"\1?…", str(msg)))
        else:
            super().exception(msg, *args, **kwargs)


_WSS_QUERY = re.compile(r"(wss?://[^\s?'\"]+)\?[^\s'\")]*")


class SocketConnection(SocketModeClient):
    """slack_sdk's Socket Mode client, telling a refused app token from a network blip.

    slack_sdk retries ``apps.connections.open`` every 10 s forever, whatever
    the answer. Here a refusal (``invalid_auth``, ``not_authed``, …) ends the
    connection for good and sets :attr:`refused`; anything else is retried with
    jittered exponential backoff, and a URL that fails is never tried twice.
    """

    def __init__(
        self, *, app_token: str, web_client: AsyncWebClient, ping_interval: float = 10.0
    ) -> None:
        super().__init__(app_token=app_token, web_client=web_client, ping_interval=ping_interval)
        self.logger = _ConnectionLog(self)  # type: ignore[assignment]  # a Logger's interface
        self.refused: str | None = None
        self.refusal = asyncio.Event()
        self.backoff_initial = 1.0
        self.backoff_max = 30.0
        self._last_issued: float | None = None  # when the last URL was handed out
        self._short_lived = 0.0  # the current wait before redialling a connection that ended

    async def connect(self) -> None:
        """Connect (slack_sdk's loop, which calls :meth:`issue_new_wss_url`); typed for callers."""
        await super().connect()  # type: ignore[no-untyped-call]  # unannotated in slack_sdk

    async def close(self) -> None:
        await super().close()  # type: ignore[no-untyped-call]  # unannotated in slack_sdk

    async def issue_new_wss_url(self) -> str:
        """A fresh websocket URL, retrying what may pass; "" once Slack refused the token.

        "" rather than an exception: slack_sdk logs whatever this raises, and on a
        reconnection it raises outside its own loop. With the client closed, its
        loops end quietly on their own. A connection that did not last (Slack, or
        something in between, closing it at once) is not redialled in a tight loop:
        such reconnections back off like failures.
        """
        delay = self.backoff_initial
        url = str(self.web_client.base_url) + "apps.connections.open"
        if self._last_issued is not None and time.monotonic() - self._last_issued < 30:
            self._short_lived = min(self._short_lived * 2 or self.backoff_initial, self.backoff_max)
            log.warning("the Socket Mode connection did not last; reconnecting in %.0f s",
                        self._short_lived)  # fmt: skip
            await asyncio.sleep(self._short_lived)
        else:
            self._short_lived = 0.0
        while not self.closed:
            try:
                response = await self.web_client.apps_connections_open(app_token=self.app_token)
                data = response.data if isinstance(response.data, dict) else {}
                wss_url = data.get("url")
                if isinstance(wss_url, str) and wss_url:
                    self._last_issued = time.monotonic()
                    return wss_url
                reason = f"Slack's answer at {url} had no url"
            except SlackApiError as exc:
                code = refused_by_slack(exc)
                if code is not None:
                    self.refused = code
                    self.closed = True
                    self.refusal.set()
                    return ""
                reason = unreachable(exc, url)
                delay = max(delay, retry_after_seconds(exc.response.headers, self.backoff_max))
            except (aiohttp.ClientError, OSError) as exc:
                reason = unreachable(exc, url)
            wait = delay * random.uniform(0.8, 1.2)  # noqa: S311  # jitter, not crypto
            log.warning("cannot open a Socket Mode connection: %s; retry in %.0f s", reason, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, self.backoff_max)
        return ""


def retry_after_seconds(headers: Mapping[str, str], most: float) -> float:
    """Slack's Retry-After in seconds, within 0..*most*; 0 when absent or not a number."""
    try:
        seconds = float(headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), most) if math.isfinite(seconds) else most


async def run_socket(
    door: FrontDoor,
    settings: Settings,
    *,
    host: str,
    port: int,
    health: Health,
    stop: asyncio.Event,
    drain: Drain,
) -> None:
    """Connect over Socket Mode; serve ``/healthz`` (with the socket's state) on *port*.

    Connecting runs beside the wait for *stop*, so a signal ends the process at
    any moment, connected or not. A refused app token is a ConfigError naming
    SLACK_APP_TOKEN, at start or later.
    """
    settings.require("slack_app_token")
    assert settings.slack_app_token is not None  # noqa: S101  # narrowed by require()

    async def socket_health() -> dict[str, Any]:
        # Long-idle sockets have been seen to go silent: ask, do not assume.
        return await health() | {"socket_connected": await client.is_connected()}

    app = web.Application()
    app.router.add_get("/healthz", lambda request: _json(socket_health))
    server = HttpServer(app, host, port)
    url = await server.start()
    # Made after the port is ours: the client starts a task and a session when made.
    client = SocketConnection(
        app_token=settings.slack_app_token.get_secret_value(),
        web_client=AsyncWebClient(base_url=settings.slack_api_url, timeout=WEB_API_TIMEOUT_SECONDS),
    )
    client.socket_mode_request_listeners.append(door.socket)
    log.warning("qrinfo connecting over Socket Mode; health on %s/healthz", url)
    connecting = asyncio.ensure_future(_connect(client))
    try:
        await _first_of(stop.wait(), client.refusal.wait())
    finally:
        connecting.cancel()
        if client.refused is None:
            log.warning("stopping: socket closed; finishing the lookups in flight")
        await client.close()
        await server.stop(drain)
    if client.refused is not None:
        raise ConfigError(f"SLACK_APP_TOKEN: Slack refused it ({client.refused})")


async def _connect(client: SocketConnection) -> None:
    await client.connect()
    if await client.is_connected():
        log.warning("qrinfo connected over Socket Mode")


async def _first_of(*waits: Coroutine[Any, Any, object]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _json(health: Health) -> web.Response:
    return web.json_response(await health())
