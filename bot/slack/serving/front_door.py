"""The front door: what every request passes before the Bolt app sees it.

Over HTTP its signature, then its shape; over the socket (authenticated by the
app token) its shape. See :mod:`bot.slack.reading.inbound` for the checks themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.i18n import Translator
from bot.service.metrics import Metrics
from bot.slack.cards.notices import unreadable_request_card
from bot.slack.listeners.express import Express
from bot.slack.reading.inbound import (
    NotFromSlack,
    NotSlackShaped,
    check_payload,
    check_signature,
    read_body,
)
from bot.slack.webapi.acks_first import AcksFirst
from bot.slack.webapi.pool import PooledRespond, ReplyPool
from bot.slack.webapi.replies import send_card

if TYPE_CHECKING:  # loaded by Socket Mode only (serving/socket_mode.py), never over HTTP
    from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
BODY_SECONDS = 10.0


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
        language: Translator,
        reply_pool: ReplyPool | None = None,
        metrics: Metrics | None = None,
        now: Callable[[], float] = time.time,
        body_seconds: float = BODY_SECONDS,
        express: Express | None = None,
        acks_first: AcksFirst | None = None,
    ) -> None:
        self.app = app
        self._acks_first = acks_first  # told of each verified request, so work can wait
        self._express = express
        self._tr = language  # for the one thing it says: that a request could not be read
        self.body_seconds = body_seconds
        self._secret = signing_secret
        self._reply_pool = reply_pool
        self._metrics = metrics
        self._now = now
        self.refusals = RefusalLog()
        self._notices: set[asyncio.Task[object]] = set()
        # Socket Mode: envelopes taken and not yet acked; once closing, new ones are left
        # unacked (Slack delivers them to another connection).
        self._taking = 0
        self._none_taking = asyncio.Event()
        self._none_taking.set()
        self.closing = False

    async def http(self, request: web.Request) -> web.Response:
        """``POST /slack/events``: 401 unless Slack signed it; ignored unless it is Slack-shaped."""
        started = time.monotonic()
        try:
            raw = await _raw_body(request, self.body_seconds)
            if self._secret is None:
                raise NotFromSlack("no SLACK_SIGNING_SECRET, so no request can be verified")
            check_signature(
                self._secret,
                timestamp=request.headers.get("X-Slack-Request-Timestamp"),
                signature=request.headers.get("X-Slack-Signature"),
                body=raw,
                now=self._now(),
            )
        except NotFromSlack as exc:
            self.refusals.note(exc.reason)
            return web.Response(status=401)
        self._arrived()
        try:
            body = read_body(raw, request.content_type)
            bolt_request = _admit(body, raw=raw.decode("utf-8"), headers=request.headers)
        except NotSlackShaped as exc:
            self._ignore(exc.reason, exc.response_url)
            return web.Response(status=200)
        if self._express is not None and self._express.takes(bolt_request):
            self._express.start(bolt_request)
            # Bolt does not run, so this is the ack: what a listener's bare ack() makes,
            # (BoltResponse(status=200, body="") through to_aiohttp_response), made directly.
            response = web.Response(status=200, body=b"", content_type="text/plain")
        else:
            response = await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
        self._acked(started)
        return response

    async def socket(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        """One Socket Mode envelope: acked and ignored unless shaped like Slack's, else to Bolt.
        Once the connection is closing, left unacked: Slack delivers it to another one."""
        if self.closing:
            log.info("left a Socket Mode envelope unacked: this connection is closing")
            return
        self._taking += 1
        self._none_taking.clear()
        try:
            await self._socket(client, request)
        finally:
            self._taking -= 1
            if not self._taking:
                self._none_taking.set()

    async def close_socket(self, within: float) -> None:
        """Take no new envelope; wait (at most *within* s) until those taken are acked."""
        self.closing = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_taking.wait(), within)

    async def _socket(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        # Loaded here: an HTTP-mode process never imports Socket Mode's client.
        from slack_bolt.adapter.socket_mode.async_internals import (  # noqa: PLC0415
            send_async_response,
        )
        from slack_bolt.adapter.socket_mode.internals import build_headers  # noqa: PLC0415
        from slack_sdk.socket_mode.response import SocketModeResponse  # noqa: PLC0415

        started, arrived_at = time.time(), time.monotonic()
        self._arrived()
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
        self._acked(arrived_at)

    def _arrived(self) -> None:
        """A verified request arrived: what can wait waits for its ack."""
        if self._acks_first is not None:
            self._acks_first.arrived()

    def _acked(self, arrived: float) -> None:
        """A verified request was acked (the time includes reading and checking it)."""
        if self._metrics is not None:
            self._metrics.acked(time.monotonic() - arrived)

    def _ignore(self, reason: str, response_url: str | None) -> None:
        """A verified request Slack would not send: one WARNING; a word to the sender if we can."""
        log.warning("ignored a request that Slack would not send: %s", reason)
        if response_url:
            task = asyncio.ensure_future(self._tell(response_url, reason))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _tell(self, response_url: str, reason: str) -> None:
        respond = PooledRespond(response_url=response_url, pool=self._reply_pool)
        await send_card(respond, unreadable_request_card(reason, self._tr), replace_original=False)


async def _raw_body(request: web.Request, seconds: float) -> bytes:
    """The body as sent; NotFromSlack when it cannot be read (so it cannot be verified either)."""
    if request.headers.get("Content-Encoding", "identity").lower() != "identity":
        raise NotFromSlack("a compressed body (Slack sends none)")
    try:
        async with asyncio.timeout(body_wait(request, seconds)):
            return await request.read()
    except TimeoutError:
        raise NotFromSlack("a body that did not arrive in time") from None
    except (OSError, aiohttp.ClientPayloadError, web.HTTPException):
        # The client hung up mid-body, or sent less than it announced.
        raise NotFromSlack("a body that did not arrive whole") from None


def body_wait(request: web.Request, seconds: float) -> float | None:
    """How long reading *request*'s body may take: *seconds*, or no limit (and no timer)
    when all of it came with the headers, as Slack's few KB usually do."""
    return None if request.content.is_eof() else seconds


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
