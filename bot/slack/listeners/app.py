"""build_app(settings, gateway) -> AsyncApp: a fresh app with every listener group registered."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.service.services import Services
from bot.slack.listeners import actions, commands, shortcuts, unfurls, workflow
from bot.slack.listeners import home as home_tab
from bot.slack.reading.inbound import NotFromSlack, check_signature
from bot.slack.webapi import pool
from bot.slack.webapi.language import Readers
from bot.slack.webapi.pool import ReplyFailed, ReplyPool
from bot.slack.webapi.replies import report_unexpected

log = logging.getLogger(__name__)

Authorize = Callable[..., Awaitable[AuthorizeResult]]
# Set on a request's context once it passed SignatureCheck (or came over the socket).
VERIFIED = "qrinfo_verified"


def fixed_authorize(result: AuthorizeResult) -> Authorize:
    """An authorize function that answers from memory: no Web API call before the ack."""

    async def authorize() -> AuthorizeResult:
        return result

    return authorize


class SignatureCheck(AsyncMiddleware):
    """Slack's request signature, checked before anything else reads the request.

    Replaces Bolt's RequestVerification, which raises on a non-numeric
    timestamp (its error handler then ran with the unverified request's
    response_url) and logs the refused body. Here every failure is a 401 with
    an empty body, and only a verified request is marked so.
    """

    def __init__(self, secret: str | None, *, now: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._now = now

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if req.mode != "socket_mode":  # the socket itself is authenticated by the app token
            try:
                if self._secret is None:
                    raise NotFromSlack("no signing secret configured")
                check_signature(
                    self._secret,
                    timestamp=_first(req, "x-slack-request-timestamp"),
                    signature=_first(req, "x-slack-signature"),
                    body=req.raw_body.encode("utf-8"),
                    now=self._now(),
                )
            except NotFromSlack as exc:
                log.info("refused a request: %s", exc.reason)
                return BoltResponse(status=401, body="")
        req.context[VERIFIED] = True
        return await next()


async def unexpected_after_ack(
    error: Exception, context: AsyncBoltContext, readers: Readers, respond: AsyncRespond | None
) -> None:
    """The one answer to an unexpected error: logged with a reference, and an apology to
    the sender only when the request was verified (an unverified one chose its own
    response_url and user: neither is used)."""
    verified = bool(context.get(VERIFIED))
    user = context.user_id if verified else None
    await report_unexpected(error, respond if verified else None, lambda: readers.known(user))


def _what(body: dict[str, object]) -> str:
    """A few words naming a request: its type, command, action or callback id (never more)."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    view = body.get("view")
    parts = [
        body.get("type"),
        body.get("command"),
        first.get("action_id") if isinstance(first, dict) else None,
        body.get("callback_id"),
        view.get("callback_id") if isinstance(view, dict) else None,
    ]
    return " ".join(str(p)[:60] for p in parts if isinstance(p, str)) or "an unnamed request"


def _first(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


class _ExpectedTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is ignored when authorize is given; that is the design."""

    _NOTICES = frozenset({warning_token_skipped(), warning_client_prioritized_and_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._NOTICES


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _ExpectedTokenNotice) for f in logger.filters):
        logger.addFilter(_ExpectedTokenNotice())
    return logger


def build_app(
    services: Services,
    *,
    authorize: Authorize,
    signing_secret: str | None,
    api_url: str,
    readers: Readers,
    reply_pool: ReplyPool | None = None,
) -> AsyncApp:
    """The Slack app. *authorize* comes from ``auth.test`` at start (or a fixture in tests).

    With a *reply_pool*, replies to response_urls share one keep-alive session
    (what ``serve`` uses); without, each reply uses Bolt's own respond().
    """
    app = AsyncApp(
        name="qrinfo",
        logger=_bolt_logger(),
        # Not None: Bolt would read SLACK_SIGNING_SECRET itself. SignatureCheck does the work.
        signing_secret="",
        request_verification_enabled=False,
        before_authorize=SignatureCheck(signing_secret),
        authorize=authorize,
        process_before_response=False,
        # A request no listener takes reaches _on_error: one line and a 200, not a 404 and
        # Bolt's nine-line suggestion of code to write.
        raise_error_for_unhandled_request=True,
    )
    # Set here rather than passing client=: Bolt reads SLACK_BOT_TOKEN from the
    # environment on its own and warns when it also gets a client. The token
    # itself comes from *authorize*; per-request clients copy this base URL.
    app.client.base_url = api_url
    pool.install(app, reply_pool, reply_failed(services))
    _register_listeners(app, services, readers)
    app.error(_error_handler(readers))
    return app


def reply_failed(services: Services) -> ReplyFailed:
    """What a reply to a response_url that Slack did not take is told to: the metrics."""
    return lambda reason: services.metrics.reply_failed("response_url", reason)


def _register_listeners(app: AsyncApp, services: Services, readers: Readers) -> None:
    """Every surface's listeners: the command, buttons, shortcuts and the form, unfurls,
    the Workflow Builder step."""
    commands.register(app, services, readers)
    actions.register(app, services, readers)
    shortcuts.register(app, services, readers)
    unfurls.register(app, services, readers)
    workflow.register(app, services)
    home_tab.register(app, services, readers)


def _error_handler(readers: Readers) -> Callable[..., Awaitable[BoltResponse | None]]:
    async def on_error(
        error: Exception,
        context: AsyncBoltContext,
        respond: AsyncRespond | None = None,
        response: BoltResponse | None = None,
    ) -> BoltResponse | None:
        return await _on_error(error, context, readers, respond, response)

    return on_error


async def _on_error(
    error: Exception,
    context: AsyncBoltContext,
    readers: Readers,
    respond: AsyncRespond | None,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """For errors before a listener acks (or in middleware): log; apologise only if verified.

    A request that did not pass SignatureCheck chose its own response_url:
    replying there would let anyone make the bot post wherever they like.
    A verified request that no listener takes (another app's command, an
    action of a card this version no longer draws) is acknowledged quietly.
    """
    if isinstance(error, BoltUnhandledRequestError):
        log.warning("ignored a request no listener takes: %s", _what(error.body))
        return BoltResponse(status=200, body="")
    await unexpected_after_ack(error, context, readers, respond)
    if response is not None:  # not acknowledged yet: Slack still gets its 200
        return BoltResponse(status=200, body="")
    return None
