"""build_app(settings, gateway) -> AsyncApp: a fresh app with every listener group registered."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from bot.config import Settings
from bot.gateway.client import QrCodeClient, utc_now
from bot.slack import actions, commands, pool, shortcuts
from bot.slack.lookups import Services
from bot.slack.pool import ReplyPool
from bot.slack.replies import report_unexpected

log = logging.getLogger(__name__)

Authorize = Callable[..., Awaitable[AuthorizeResult]]


def fixed_authorize(result: AuthorizeResult) -> Authorize:
    """An authorize function that answers from memory: no Web API call before the ack."""

    async def authorize() -> AuthorizeResult:
        return result

    return authorize


def build_app(
    settings: Settings,
    gateway: QrCodeClient,
    *,
    authorize: Authorize,
    services: Services | None = None,
    reply_pool: ReplyPool | None = None,
) -> AsyncApp:
    """The Slack app. *authorize* comes from ``auth.test`` at start (or a fixture in tests).

    *services* (the gateway client, guard, audit log, …) default to ones built
    from the settings with no audit log. With a *reply_pool*, replies to
    response_urls share one keep-alive session (what ``serve`` uses); without,
    each reply uses Bolt's own respond().
    """
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="qrinfo",
        signing_secret=secret.get_secret_value() if secret is not None else "unused-in-socket-mode",
        authorize=authorize,
        process_before_response=False,
    )
    # Set here rather than passing client=: Bolt reads SLACK_BOT_TOKEN from the
    # environment on its own and warns when it also gets a client. The token
    # itself comes from *authorize*; per-request clients copy this base URL.
    app.client.base_url = settings.slack_api_url
    services = services or Services(settings=settings, gateway=gateway, clock=utc_now)
    if reply_pool is not None:
        pool.install(app, reply_pool)
    commands.register(app, services)
    actions.register(app, services)
    shortcuts.register(app, services)
    app.error(_on_error)
    return app


async def _on_error(
    error: Exception,
    respond: AsyncRespond | None = None,
    response: BoltResponse | None = None,
) -> BoltResponse | None:
    """For errors before a listener acks (or in middleware): log, apologise, still answer 200."""
    await report_unexpected(error, respond)
    if response is not None:  # not acknowledged yet: Slack still gets its 200
        return BoltResponse(status=200, body="")
    return None
