"""build_app(settings, gateway) -> AsyncApp: a fresh app with every listener group registered."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.gateway.client import QrCodeClient, utc_now
from bot.slack import actions, commands, shortcuts
from bot.slack.lookups import Services
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
) -> AsyncApp:
    """The Slack app. *authorize* comes from ``auth.test`` at start (or a fixture in tests)."""
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="qrinfo",
        signing_secret=secret.get_secret_value() if secret is not None else "unused-in-socket-mode",
        authorize=authorize,
        client=AsyncWebClient(base_url=settings.slack_api_url),
        process_before_response=False,
    )
    services = services or Services(settings=settings, gateway=gateway, clock=utc_now)
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
