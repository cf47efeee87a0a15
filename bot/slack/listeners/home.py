"""The App Home tab: drawn for its reader each time they open it; its two buttons (the
lookup form, and a past lookup's Details, whose card goes to their DM: a home tab has no
response_url to answer through).

A listener module: may touch Bolt, the rooms below (webapi, cards, reading) and the
service; never serving, the room above (an import contract).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.guard import Requester
from bot.service.services import Services
from bot.service.status import status_of
from bot.slack.cards.home import HOME_DETAILS_ACTION, HOME_OPEN_FORM_ACTION, home_view
from bot.slack.cards.views import form_modal
from bot.slack.listeners.clicks import Click, decode_click
from bot.slack.listeners.listening import after_ack, group_members_fetcher, lookup_card, requester
from bot.slack.listeners.shortcuts import FORM_LOCALE_WAIT_SECONDS, open_view
from bot.slack.webapi.direct import WEB_API_FAILURES, failed, send_card_to_dm
from bot.slack.webapi.language import Reader, Readers

log = logging.getLogger(__name__)

HOME_TAB = "home"  # app_home_opened also comes for the Messages tab, which is Slack's own


def register(app: AsyncApp, services: Services, readers: Readers) -> None:
    """The home tab, published when opened; its form button; its Details buttons."""
    app.event("app_home_opened")(_listener(services, readers, _opened))
    app.action(HOME_OPEN_FORM_ACTION)(_listener(services, readers, _open_form))
    app.action(HOME_DETAILS_ACTION)(_listener(services, readers, _details))


# What the home's event or button does once acked: (clicked, body, respond, who).
_Handler = Callable[[Click, dict[str, Any], AsyncRespond | None, Requester], Awaitable[None]]


def _listener(
    services: Services, readers: Readers, handle: _Handler
) -> Callable[..., Awaitable[None]]:
    """Ack, then *handle* it as its reader (an event or a click: neither has a response_url)."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond | None,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        # Bolt hands every listener a respond(), but with no response_url (a home tab's
        # click, an event) it can only raise: there is nothing to reply to.
        usable = respond if body.get("response_url") else None
        async with after_ack(ack, services, readers, usable, client, context) as reader:
            await handle(Click(services, readers, reader, client), body, usable, requester(context))

    return listener


async def _opened(
    clicked: Click, body: dict[str, Any], respond: AsyncRespond | None, who: Requester
) -> None:
    """The home tab opened (the Messages tab too sends this event: it is Slack's own)."""
    if body["event"].get("tab") == HOME_TAB:
        await publish_home(clicked.services, clicked.reader, clicked.client, who)


async def _open_form(
    clicked: Click, body: dict[str, Any], respond: AsyncRespond | None, who: Requester
) -> None:
    """Look up a QR code: the global shortcut's form, on the click's trigger."""
    # trigger_id lives 3 seconds: the locale gets at most one of them.
    tr = await clicked.reader.translator(wait=FORM_LOCALE_WAIT_SECONDS)
    await open_view(clicked.client, body["trigger_id"], form_modal(tr))


async def publish_home(
    services: Services, reader: Reader, client: AsyncWebClient, who: Requester
) -> None:
    """*who*'s home tab: their own last lookups; the gateways' state if an operator."""
    if not who.user_id:  # the front door refuses an event without a user
        return
    tr = await reader.translator()
    entries = await services.history.of(who.user_id, now=services.wall_clock())
    operator = await services.guard.is_operator(who, group_members_fetcher(client))
    view = home_view(entries, tr, status=status_of(services) if operator else None)
    try:
        await client.views_publish(user_id=who.user_id, view=view)
    except WEB_API_FAILURES as exc:
        not_sent, detail = failed(exc, "views.publish")
        services.metrics.reply_failed(not_sent.via, not_sent.reason)
        log.warning("could not publish the home tab of %s: views.publish: %s", who.user_id, detail)


async def _details(
    clicked: Click, body: dict[str, Any], respond: AsyncRespond | None, who: Requester
) -> None:
    """A past lookup's full card, looked up again (an answer of a moment ago may do), to the
    clicker's DM with the bot; then their home tab again, with this lookup first."""
    ref = await decode_click(body["actions"][0], respond, clicked, who, "details")
    if ref is None or not who.user_id:
        return
    services = clicked.services
    outcome, card = await lookup_card(
        services, ref, who=who, action="details", client=clicked.client, reader=clicked.reader,
        shareable=False,
    )  # fmt: skip
    await send_card_to_dm(clicked.client, who.user_id, card, outcome.msg_id, services.metrics)
    await publish_home(services, clicked.reader, clicked.client, who)
