"""Unfurls of the provider's QR links (``link_shared`` -> ``chat.unfurl``), and their Look up
button, which opens the lookup form with the link filled in.

A listener module: may touch Bolt, the rooms below (webapi, cards, reading) and the
service; never serving, the room above (an import contract). No lookup happens here: an
unfurl shows what the link says, and the form asks for the merchant number.
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

from bot.i18n import T
from bot.service.services import Services
from bot.slack.cards.unfurl import LOOK_UP_ACTION, unfurls
from bot.slack.cards.views import form_modal
from bot.slack.listeners.listening import after_ack, work
from bot.slack.listeners.shortcuts import FORM_LOCALE_WAIT_SECONDS, open_view
from bot.slack.reading.links import lookup_text_of, qr_links, unfurl_target
from bot.slack.webapi.direct import web_api_call
from bot.slack.webapi.language import Reader, Readers

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, readers: Readers) -> None:
    """link_shared (Bolt acks an event itself) and the unfurl's Look up button."""
    app.event("link_shared")(_unfurler(services, readers))
    app.action(LOOK_UP_ACTION)(_form_opener(services, readers))


def _unfurler(services: Services, readers: Readers) -> Callable[..., Awaitable[None]]:
    """link_shared's listener: the provider's QR links in it unfurled, others left alone."""

    async def unfurl(event: dict[str, Any], client: AsyncWebClient) -> None:
        # For the whole channel: in its language (QRINFO_LANGUAGE), like a shared card.
        async with work(services, None, Reader(readers.default, None)):
            links, target = qr_links(event), unfurl_target(event)
            if not links or target is None:
                return
            await web_api_call(
                "chat.unfurl",
                client.chat_unfurl(
                    channel=target.get("channel"),
                    ts=target.get("ts"),
                    unfurl_id=target.get("unfurl_id"),
                    source=target.get("source"),
                    unfurls=unfurls(links, readers.channel),
                ),
                metrics=services.metrics,
                what=f"unfurl {len(links)} QR link(s)",
            )

    return unfurl


def _form_opener(services: Services, readers: Readers) -> Callable[..., Awaitable[None]]:
    """Look up's listener: the form, with the button's link filled in, in the clicker's
    language if Slack says it in time."""

    async def look_up(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond | None,
        context: AsyncBoltContext,
    ) -> None:
        async with after_ack(ack, services, readers, respond, client, context) as reader:
            # trigger_id lives 3 seconds: the locale gets at most one of them.
            tr = await reader.translator(wait=FORM_LOCALE_WAIT_SECONDS)
            # The front door lets no click without an action in.
            lookup_text = lookup_text_of(body["actions"][0].get("value"))
            note = (
                T("The link does not hold the merchant number: type it, then Look up.")
                if lookup_text
                else T("That button carries no QR code the bot can read: type the id.")
            )
            view = form_modal(tr, qr_code_id=lookup_text, note=note)
            await _open(client, body.get("trigger_id"), view)

    return look_up


async def _open(client: AsyncWebClient, trigger_id: object, view: dict[str, Any]) -> None:
    """The shortcut's way to open the form, for a click that may carry no trigger_id."""
    if not isinstance(trigger_id, str) or not trigger_id:
        log.warning("could not open the lookup form: the click carries no trigger_id")
        return
    await open_view(client, trigger_id, view)
