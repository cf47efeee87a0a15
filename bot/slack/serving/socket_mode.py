"""Socket Mode: slack_sdk's client made to tell a refused token from a blip, and its run."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
from collections.abc import Coroutine, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.serving.front_door import FrontDoor
from bot.slack.serving.http_server import (
    HANDLING_SECONDS,
    Health,
    HttpServer,
    Scrape,
    Serving,
    add_ops_routes,
    ops_urls,
)
from bot.slack.serving.startup import TokenRefused
from bot.slack.webapi.errors import (
    WEB_API_TIMEOUT_SECONDS,
    refused_by_slack,
    unreachable,
)

log = logging.getLogger(__name__)


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
        loops end quietly on their own.
        """
        await self._after_a_short_connection()
        delay = self.backoff_initial
        while not self.closed:
            try:
                return await self._ask_for_url()
            except _TryAgain as again:
                delay = max(delay, again.at_least)  # Slack's Retry-After raises the base
                wait = delay * random.uniform(0.8, 1.2)  # noqa: S311  # jitter, not crypto
                log.warning(
                    "cannot open a Socket Mode connection: %s; retry in %.0f s", again.reason, wait
                )
                await asyncio.sleep(wait)
                delay = min(delay * 2, self.backoff_max)
        return ""

    async def _after_a_short_connection(self) -> None:
        """A connection that did not last (closed at once, by Slack or something in between)
        is not redialled in a tight loop: such reconnections back off like failures."""
        if self._last_issued is not None and time.monotonic() - self._last_issued < 30:
            self._short_lived = min(self._short_lived * 2 or self.backoff_initial, self.backoff_max)
            log.warning(
                "the Socket Mode connection did not last; reconnecting in %.0f s", self._short_lived
            )
            await asyncio.sleep(self._short_lived)
        else:
            self._short_lived = 0.0

    async def _ask_for_url(self) -> str:
        """apps.connections.open once: the URL, "" after a refusal (closing), or _TryAgain."""
        url = str(self.web_client.base_url) + "apps.connections.open"
        try:
            response = await self.web_client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as exc:
            code = refused_by_slack(exc)
            if code is None:
                later = retry_after_seconds(exc.response.headers, self.backoff_max)
                raise _TryAgain(unreachable(exc, url), at_least=later) from None
            self.refused, self.closed = code, True
            self.refusal.set()
            return ""
        except (aiohttp.ClientError, OSError) as exc:
            raise _TryAgain(unreachable(exc, url)) from None
        data = response.data if isinstance(response.data, dict) else {}
        wss_url = data.get("url")
        if not isinstance(wss_url, str) or not wss_url:
            raise _TryAgain(f"Slack's answer at {url} had no url")
        self._last_issued = time.monotonic()
        return wss_url


class _TryAgain(Exception):
    def __init__(self, reason: str, *, at_least: float = 0.0) -> None:
        self.reason, self.at_least = reason, at_least
        super().__init__(reason)


def retry_after_seconds(headers: Mapping[str, str], most: float) -> float:
    """Slack's Retry-After in seconds, within 0..*most*; 0 when absent or not a number."""
    try:
        seconds = float(headers.get("Retry-After", "0"))
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), most) if math.isfinite(seconds) else most


async def run_socket(door: FrontDoor, serving: Serving, *, app_token: str, api_url: str) -> None:
    """Connect over Socket Mode; serve the probes (readiness and ``/healthz`` with the
    socket's state) and ``/metrics`` (unless its scrape is None) on the serving port.

    Connecting runs beside the wait for *stop*, so a signal ends the process at
    any moment, connected or not. A refused app token is TokenRefused naming
    SLACK_APP_TOKEN, at start or later.
    """
    clients: list[SocketConnection] = []  # the one connection, once made; /healthz asks it
    server, url = await _health_server(
        clients, serving.health, serving.scrape, host=serving.host, port=serving.port
    )
    # Made after the port is ours: the client starts a task and a session when made.
    clients.append(_connection(door, app_token=app_token, api_url=api_url))
    client = clients[0]
    log.warning("qrinfo connecting over Socket Mode; %s", ops_urls(url, serving.scrape))
    serving.listening()
    connecting = asyncio.ensure_future(_connect(client))
    try:
        await _first_of(serving.stop.wait(), client.refusal.wait())
    finally:
        connecting.cancel()
        # The envelopes already taken are acked on this socket before it closes (an unacked
        # one is delivered again elsewhere: a second card); new ones are left to others.
        await door.close_socket(HANDLING_SECONDS)
        await client.close()
        await server.stop(serving.drain)
    if client.refused is not None:
        raise TokenRefused(f"SLACK_APP_TOKEN: Slack refused it ({client.refused})")


async def _health_server(
    clients: list[SocketConnection], health: Health, scrape: Scrape | None, *, host: str, port: int
) -> tuple[HttpServer, str]:
    async def socket_health() -> dict[str, Any]:
        # Long-idle sockets have been seen to go silent: ask, do not assume.
        connected = bool(clients) and await clients[0].is_connected()
        return await health() | {"socket_connected": connected}

    app = web.Application()
    add_ops_routes(app, socket_health, scrape)
    server = HttpServer(app, host, port)
    return server, await server.start()


def _connection(door: FrontDoor, *, app_token: str, api_url: str) -> SocketConnection:
    client = SocketConnection(
        app_token=app_token,
        web_client=AsyncWebClient(base_url=api_url, timeout=WEB_API_TIMEOUT_SECONDS),
    )
    client.socket_mode_request_listeners.append(door.socket)
    return client


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
