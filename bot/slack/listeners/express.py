"""``/qrinfo`` over HTTP, handed straight to its listener: what Bolt's dispatch does for
it, without the dispatch.

Bolt builds a Web API client for every request, runs its global middleware, matches the
request against every listener, injects arguments by reading the listener's signature,
and then polls every 10 ms until the listener has acked. For this app and this one
request kind all of that comes to the same few steps, done here once each: the same
``respond`` (:class:`~bot.slack.webapi.pool.PooledRespond`), a Web API client like Bolt's
(built per request, as Bolt builds it: 6 µs), the same listener
(:func:`~bot.slack.listeners.commands.on_command`), and the same ack (an empty 200), sent
at once. Everything else (other commands, buttons, forms, events, Socket Mode) still goes
through Bolt. ``tests/slack/listeners/test_express.py`` pins both paths to the same
replies, byte for byte, and Bolt's middleware to the list this was written for.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.services import Services
from bot.slack.listeners.app import VERIFIED, reply_failed, unexpected_after_ack
from bot.slack.listeners.commands import COMMAND, on_command
from bot.slack.webapi.language import Readers
from bot.slack.webapi.pool import PooledRespond, ReplyPool

# Bolt's global middleware for this app, by name, in order (tests/.../test_express.py checks
# the app still has exactly these): a new one must be done here too, or the command must go
# back through Bolt.
BOLT_MIDDLEWARE = (
    "slack_bolt.middleware.ssl_check.async_ssl_check.AsyncSslCheck",  # takes ssl_check only
    "bot.slack.listeners.app.SignatureCheck",  # the front door checked the same signature
    # The fixed authorize: its result on the context, its token on the client.
    "slack_bolt.middleware.authorization.async_multi_teams_authorization"
    ".AsyncMultiTeamsAuthorization",
    # Events only; then a function's token, which a command never carries.
    "slack_bolt.middleware.ignoring_self_events.async_ignoring_self_events.AsyncIgnoringSelfEvents",
    "slack_bolt.middleware.url_verification.async_url_verification.AsyncUrlVerification",
    "slack_bolt.middleware.attaching_function_token.async_attaching_function_token"
    ".AsyncAttachingFunctionToken",
    "AsyncCustomMiddleware(func=pooled_respond)",  # the same PooledRespond
)


class Express:
    """Takes a verified ``/qrinfo`` over HTTP from the front door and starts its listener."""

    def __init__(
        self,
        app: AsyncApp,
        services: Services,
        readers: Readers,
        *,
        authorization: AuthorizeResult,
        reply_pool: ReplyPool | None,
    ) -> None:
        self._app = app
        self._services = services
        self._readers = readers
        self._authorization = authorization
        self._pool = reply_pool
        self._failed = reply_failed(services)

    def takes(self, request: AsyncBoltRequest) -> bool:
        """A /qrinfo command over HTTP (not Slack's SSL check, which Bolt answers itself, nor
        one carrying a function's token, which Bolt would put on its client)."""
        body = request.body
        return (
            request.mode == "http"
            and body.get("command") == COMMAND
            and "ssl_check" not in body
            and request.context.function_bot_access_token is None
        )

    def start(self, request: AsyncBoltRequest) -> asyncio.Task[None]:
        """Run the listener for *request* (verified: the front door checked its signature),
        tracked from now on, so a stop that begins right after the ack still waits for it."""
        # Its context and body only: the request's headers and raw text (about 2 KB) are
        # let go with the ack, not held through the lookup.
        task = asyncio.create_task(self._run(request.context, request.body))
        self._services.inflight.add(task)
        return task

    async def _run(self, context: AsyncBoltContext, body: dict[str, Any]) -> None:
        context[VERIFIED] = True
        context.set_authorize_result(self._authorization)
        respond = PooledRespond(
            response_url=context.response_url or "", pool=self._pool, failed=self._failed
        )
        client = client_like_bolts(self._app.client, self._authorization, context.team_id)
        context["respond"], context["client"] = respond, client
        ack = AsyncAck()  # type: ignore[no-untyped-call]  # unannotated in slack_bolt
        try:
            await on_command(self._services, self._readers, ack, body, respond, context, client)
        except Exception as exc:  # noqa: BLE001  # what Bolt would hand its error handler
            await unexpected_after_ack(exc, context, self._readers, respond)


def client_like_bolts(
    base: AsyncWebClient, authorization: AuthorizeResult, team_id: str | None
) -> AsyncWebClient:
    """The Web API client Bolt builds for each request (``AsyncApp._init_context``: a copy
    of the app's client for the request's workspace), with the token its authorization
    middleware puts on it. tests/.../test_express.py compares the two field by field."""
    options: dict[str, Any] = {
        "base_url": base.base_url,
        "timeout": base.timeout,
        "ssl": base.ssl,
        "proxy": base.proxy,
        "session": base.session,
        "trust_env_in_session": base.trust_env_in_session,
        "headers": base.headers,
        "logger": base.logger,
        "retry_handlers": base.retry_handlers.copy() if base.retry_handlers is not None else None,
    }
    token = authorization.bot_token or authorization.user_token
    return AsyncWebClient(token=token, team_id=team_id, **options)
