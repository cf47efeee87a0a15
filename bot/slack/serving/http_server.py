"""HTTP mode: ``POST /slack/events`` through the front door; what an orchestrator asks
(``/livez``, ``/readyz``, ``/healthz``) and ``/metrics``; a graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler

from bot.network import cannot_listen, http_url
from bot.slack.serving.front_door import EVENTS_PATH, FrontDoor
from bot.slack.serving.startup import StartupError

log = logging.getLogger(__name__)

Health = Callable[[], Awaitable[dict[str, Any]]]
Drain = Callable[[], Awaitable[object]]
Scrape = Callable[[str], tuple[bytes, str]]  # Accept header -> the metrics, content type


HEALTH_PATH = "/healthz"
LIVE_PATH = "/livez"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
_OPEN_WHILE_DRAINING = frozenset({HEALTH_PATH, LIVE_PATH, READY_PATH, METRICS_PATH})
# A request being read or dispatched when the stop began is let finish (and ack) first, for
# as long as Slack waits for an ack: after 3 s Slack has given up on it anyway.
HANDLING_SECONDS = 3.0
# Once drained, what the server waits for handlers still running when it closes: one still
# reading a body someone never finishes sending.
HTTP_CLOSE_SECONDS = 2.0


def create_http_app(door: FrontDoor, health: Health, scrape: Scrape | None) -> web.Application:
    """``POST /slack/events`` for commands and interactivity, and the routes of
    :func:`add_ops_routes` (the probes, and ``/metrics`` unless *scrape* is None)."""
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(EVENTS_PATH, door.http)
    add_ops_routes(app, health, scrape)
    return app


def add_ops_routes(app: web.Application, health: Health, scrape: Scrape | None) -> None:
    """What an orchestrator and Prometheus read: ``GET /livez`` (is the process serving at
    all), ``/readyz`` (should it get work), ``/healthz`` (the whole report), ``/metrics``
    (unless *scrape* is None: served on a port of its own)."""
    app.router.add_get(HEALTH_PATH, healthz_handler(health))
    app.router.add_get(LIVE_PATH, _livez)
    app.router.add_get(READY_PATH, readyz_handler(health))
    if scrape is not None:
        add_metrics_route(app, scrape)


def add_metrics_route(app: web.Application, scrape: Scrape) -> None:
    """``GET /metrics``: Prometheus' text format, or OpenMetrics when asked for."""

    async def metrics(request: web.Request) -> web.Response:
        body, content_type = scrape(request.headers.get("Accept", ""))
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app.router.add_get(METRICS_PATH, metrics)


def ops_urls(url: str, scrape: Scrape | None) -> str:
    """Where the probes (and the metrics, unless on a port of their own) answer."""
    metrics = f", metrics on {url}{METRICS_PATH}" if scrape is not None else ""
    return f"health on {url}{HEALTH_PATH}{metrics}"


async def start_metrics_server(scrape: Scrape, *, host: str, port: int) -> HttpServer:
    """``/metrics`` alone on a port of its own (QRINFO_METRICS_PORT), for a deployment whose
    Slack port faces the internet; StartupError when it cannot listen."""
    app = web.Application()
    add_metrics_route(app, scrape)
    server = HttpServer(app, host, port)
    url = await server.start()
    log.warning("qrinfo metrics on %s%s", url, METRICS_PATH)
    return server


def healthz_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``GET /healthz``: the report, with 503 while draining so a load balancer looks away."""

    async def healthz(request: web.Request) -> web.Response:
        report = await health()
        return web.json_response(report, status=503 if report.get("draining") else 200)

    return healthz


async def _livez(request: web.Request) -> web.Response:
    """The liveness probe: 200 while the event loop answers, draining or not. A draining
    replica is finishing lookups people are waiting for: killing it would lose them."""
    return web.json_response({"live": True})


def not_ready_because(report: dict[str, Any]) -> str | None:
    """Why a replica should get no work now (None: it should), from its health report."""
    if report.get("draining"):
        return "draining: stopping after the lookups in flight"
    if report.get("socket_connected") is False:
        return "no Socket Mode connection: Slack cannot deliver anything to this replica"
    return None


def readyz_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The readiness probe: 200 when this replica should get work; 503 while it drains, and
    in Socket Mode while its socket is not connected."""

    async def readyz(request: web.Request) -> web.Response:
        why = not_ready_because(await health())
        if why is None:
            return web.json_response({"ready": True})
        return web.json_response({"ready": False, "reason": why}, status=503)

    return readyz


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
    """An aiohttp app on a port, that stops gracefully: new work refused, work drained, exit.

    While the work in flight drains, the port stays open: ``/healthz`` answers (503,
    "draining": true), ``/metrics`` as usual, and every other request gets 503, so an
    orchestrator or a load balancer can see the replica leaving instead of a refused
    connection.
    """

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.draining = False
        self._handling = 0  # requests past the draining check, not yet answered
        self._none_handling = asyncio.Event()
        self._none_handling.set()
        app.middlewares.append(self._refuse_while_draining)
        # auto_decompress off: a body is verified as sent, and Slack compresses none (the
        # front door refuses a Content-Encoding before aiohttp could fail inflating it).
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            auto_decompress=False,
            shutdown_timeout=HTTP_CLOSE_SECONDS,
        )
        _quiet_malformed_http()
        self._host = host
        self._port = port
        self._site: web.TCPSite | None = None

    @web.middleware
    async def _refuse_while_draining(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        if request.path in _OPEN_WHILE_DRAINING:
            return await handler(request)
        if self.draining:
            return web.Response(status=503, text="stopping\n")
        self._handling += 1
        self._none_handling.clear()
        try:
            return await handler(request)
        finally:
            self._handling -= 1
            if not self._handling:
                self._none_handling.set()

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
        """Refuse new work, let *drain* finish the work in flight, then close. Once."""
        if self._site is None:
            return
        site, self._site = self._site, None
        self.draining = True
        # A request acked a moment ago may not have started its lookup yet: let every request
        # already taken be answered, then drain the lookups.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_handling.wait(), HANDLING_SECONDS)
        await drain()
        await site.stop()
        await self._runner.cleanup()


@dataclass(frozen=True, slots=True, kw_only=True)
class Serving:
    """What either mode serves with: where it listens, what its probes and /metrics read
    (*scrape* None: /metrics on a port of its own), when it stops and how it drains, and
    what to do once it listens."""

    host: str
    port: int
    health: Health
    scrape: Scrape | None
    stop: asyncio.Event
    drain: Drain
    listening: Callable[[], None] = lambda: None


async def run_http(door: FrontDoor, serving: Serving) -> None:
    """Serve HTTP mode (*serving.listening* called once the port is open) until its stop is
    set, then shut down gracefully."""
    app = create_http_app(door, serving.health, serving.scrape)
    server = HttpServer(app, serving.host, serving.port)
    url = await server.start()
    where = ops_urls(url, serving.scrape)
    log.warning("qrinfo serving Slack requests on %s%s; %s", url, EVENTS_PATH, where)
    serving.listening()
    await serving.stop.wait()
    await server.stop(serving.drain)
