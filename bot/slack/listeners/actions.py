"""Buttons on the card: Open QR code (ack only), Refresh, Details, Raw reply; Share in channel
(share.py) and Show QR code (show_qr.py) have modules of their own, and what the buttons
share is in clicks.py.

A listener module: may touch Bolt, the rooms below (webapi, cards, reading) and the
service; never serving, the room above (an import contract).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import bind_now
from bot.service.guard import Requester
from bot.service.services import Services
from bot.slack.cards.batch import DETAILS_ACTION
from bot.slack.cards.blocks import RAW_REPLY_ACTION, REFRESH_ACTION
from bot.slack.cards.card import OPEN_QR_ACTION, SHARE_ACTION, SHOW_QR_ACTION
from bot.slack.cards.ops import raw_gone_card, raw_reply_card
from bot.slack.listeners.clicks import (
    Click,
    Handler,
    click_listener,
    decode_click,
    in_channel,
    in_dm,
)
from bot.slack.listeners.listening import (
    after_ack,
    lookup_card,
    operator_or_refused,
    requester,
    work,
)
from bot.slack.listeners.share import share
from bot.slack.listeners.show_qr import show_qr
from bot.slack.webapi.language import Reader, Readers
from bot.slack.webapi.replies import send_card

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, readers: Readers) -> None:
    """Every button a card has: Open QR code, the ones that look the code up again
    (_LOOKING_UP), and Raw reply."""

    @app.action(OPEN_QR_ACTION)
    async def open_qr(ack: AsyncAck, respond: AsyncRespond) -> None:
        # A URL button opens the link in the browser; Slack still sends us the
        # click, and without an ack users see a warning icon. Nothing else to do,
        # but tracked like every listener's work, so a shutdown (or a test) can wait on it.
        await ack()
        async with work(services, respond, Reader(readers.default, None)):
            pass

    for action_id, handle in _LOOKING_UP.items():
        app.action(action_id)(click_listener(services, readers, handle))

    @app.action(RAW_REPLY_ACTION)
    async def raw_reply(
        ack: AsyncAck,
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        async with after_ack(ack, services, readers, respond, client, context) as reader:
            await _raw_reply(services, reader, action, respond, requester(context), client)


async def _raw_reply(  # one click's every circumstance
    services: Services,
    reader: Reader,
    action: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
    client: AsyncWebClient,
) -> None:
    """An operator's look at what the gateway said for the card's msgId, beside the card."""
    tr = await reader.translator()
    value = action.get("value")
    msg_id = value[:100] if isinstance(value, str) else None
    bind_now(team=who.team_id, user=who.user_id, action="raw_reply", msgId=msg_id)
    if not await operator_or_refused(services, who, client, respond, tr, what="a raw reply"):
        services.audit_line(who, "raw_reply", None, outcome="refused", msg_id=msg_id)
        return
    raw = services.raw.get(msg_id) if msg_id else None
    # The raw reply shows more of the merchant than the card: it goes in the audit trail.
    services.audit_line(who, "raw_reply", None, outcome="shown" if raw else "gone", msg_id=msg_id)
    card = raw_gone_card(tr) if raw is None else raw_reply_card(raw, tr)
    await send_card(respond, card, replace_original=False)


async def _refresh(
    clicked: Click,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """Look the card's code up again (never a remembered answer) and replace the card."""
    ref = await decode_click(action, respond, clicked, who, "refresh")
    if ref is None:
        return
    # Where the card is comes from the verified payload, never from the button.
    shared = in_channel(body)
    outcome, card = await lookup_card(
        clicked.services,
        ref,
        who=who,
        action="refresh",
        client=clicked.client,
        reader=clicked.reader,
        channel=clicked.readers.channel if shared else None,
        shared_by=who.user_id if shared else None,
        refreshed=True,
        shareable=not in_dm(body),
    )
    if outcome.refusal is not None:  # keep the card; say why beside it
        await send_card(respond, card, replace_original=False)
        return
    response_type: Literal["ephemeral", "in_channel"] = "in_channel" if shared else "ephemeral"
    await send_card(
        respond, card, msg_id=outcome.msg_id, response_type=response_type, replace_original=True
    )


async def _details(
    clicked: Click,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """One line of a batch card as its full card, beside the batch card, for the clicker
    only (an answer of a moment ago may do: the batch card just asked)."""
    ref = await decode_click(action, respond, clicked, who, "details")
    if ref is None:
        return
    outcome, card = await lookup_card(
        clicked.services,
        ref,
        who=who,
        action="details",
        client=clicked.client,
        reader=clicked.reader,
        shareable=not in_dm(body),
    )
    await send_card(respond, card, msg_id=outcome.msg_id, replace_original=False)


# The buttons that look their code up again, each handled as its clicker.
_LOOKING_UP: dict[str, Handler] = {
    REFRESH_ACTION: _refresh,
    SHARE_ACTION: share,
    DETAILS_ACTION: _details,
    SHOW_QR_ACTION: show_qr,
}
