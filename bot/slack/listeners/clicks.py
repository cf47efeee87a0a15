"""What every card button that looks its code up again shares: its listener (ack, then the
handler, as the clicker), the click, the lookup its value carries (checked like user input),
and where the clicked card is.

A listener module: may touch Bolt, the rooms below (webapi, cards, reading) and the
service; never serving, the room above (an import contract).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.gateway.ids import QrCodeRef
from bot.logs import bind_now
from bot.service.audit import Action
from bot.service.guard import Requester
from bot.service.services import Services
from bot.slack.cards.notices import input_error_card
from bot.slack.listeners.listening import after_ack, requester
from bot.slack.reading.button import decode_button_value
from bot.slack.reading.pasted import UsageError
from bot.slack.webapi.language import Reader, Readers
from bot.slack.webapi.replies import send_card

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Click:
    """What a button's listener works with: the services, who clicked and in which language."""

    services: Services
    readers: Readers
    reader: Reader
    client: AsyncWebClient


# What a card's button does once acked: (clicked, action, body, respond, who).
Handler = Callable[
    [Click, dict[str, Any], dict[str, Any], AsyncRespond, Requester], Awaitable[None]
]


def click_listener(
    services: Services, readers: Readers, handle: Handler
) -> Callable[..., Awaitable[None]]:
    """A button that looks its code up again: ack, then *handle* it as the clicker."""

    async def listener(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        async with after_ack(ack, services, readers, respond, client, context) as reader:
            clicked = Click(services, readers, reader, client)
            await handle(clicked, action, body, respond, requester(context))

    return listener


async def decode_click(
    action: dict[str, Any],
    respond: AsyncRespond | None,
    clicked: Click,
    who: Requester,
    kind: Action,
) -> QrCodeRef | None:
    """The button's lookup, checked like user input; a tampered value gets a message instead
    (where there is a response_url: a home tab has none)."""
    started, services = time.monotonic(), clicked.services
    bind_now(team=who.team_id, user=who.user_id, action=kind)  # for the lines before a lookup
    try:
        return decode_button_value(str(action.get("value", "")))
    except UsageError as exc:
        log.warning("refused a button value from %s: %s", who.user_id, exc.problem)
        services.record(who, kind, None, outcome="invalid", msg_id=None, started=started)
        if respond is not None:
            tr = await clicked.reader.translator()
            card = input_error_card(exc.problem, services.env, tr)
            await send_card(respond, card, replace_original=False)
        return None


def in_channel(body: dict[str, Any]) -> bool:
    """Is the clicked card a channel message? Unknown counts as private: never broadcast.
    A message in a DM (the form's card) is its reader's own, not a channel's."""
    container = body.get("container")
    return (
        isinstance(container, dict) and container.get("is_ephemeral") is False and not in_dm(body)
    )


def in_dm(body: dict[str, Any]) -> bool:
    """Is the clicked card in a direct message (a D… conversation)?"""
    container = body.get("container")
    channel = container.get("channel_id") if isinstance(container, dict) else None
    return isinstance(channel, str) and channel.startswith("D")
