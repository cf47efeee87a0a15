"""Buttons on the card: Open QR code (ack only), Show QR code, Refresh, Share in channel,
Raw reply."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import T, Text
from bot.logs import bind_now
from bot.qr_image import drawable, png
from bot.service.audit import Action
from bot.service.guard import Requester
from bot.service.lookup import Services
from bot.slack.cards.batch import DETAILS_ACTION
from bot.slack.cards.blocks import RAW_REPLY_ACTION, REFRESH_ACTION
from bot.slack.cards.card import OPEN_QR_ACTION, SHARE_ACTION, SHOW_QR_ACTION, qr_caption
from bot.slack.cards.notices import (
    input_error_card,
    qr_not_drawn_card,
    qr_not_sent_card,
    share_failed_card,
)
from bot.slack.cards.ops import raw_gone_card, raw_reply_card
from bot.slack.listeners.listening import (
    after_ack,
    lookup_card,
    operator_or_refused,
    requester,
    work,
)
from bot.slack.reading.button import decode_button_value
from bot.slack.reading.pasted import UsageError
from bot.slack.webapi.direct import DmFile, send_file_to_dm, web_api_call
from bot.slack.webapi.language import Reader, Readers
from bot.slack.webapi.replies import delete_original, send_card

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, readers: Readers) -> None:
    @app.action(OPEN_QR_ACTION)
    async def open_qr(ack: AsyncAck, respond: AsyncRespond) -> None:
        # A URL button opens the link in the browser; Slack still sends us the
        # click, and without an ack users see a warning icon. Nothing else to do,
        # but tracked like every listener's work, so a shutdown (or a test) can wait on it.
        await ack()
        async with work(services, respond, Reader(readers.default, None)):
            pass

    def on_click(action_id: str, handle: _Handler) -> None:
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
                clicked = _Click(services, readers, reader, client)
                await handle(clicked, action, body, respond, requester(context))

        app.action(action_id)(listener)

    on_click(REFRESH_ACTION, _refresh)
    on_click(SHARE_ACTION, _share)
    on_click(DETAILS_ACTION, _details)
    on_click(SHOW_QR_ACTION, _show_qr)

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


@dataclass(frozen=True, slots=True)
class _Click:
    """What a button's listener works with: the services, who clicked and in which language."""

    services: Services
    readers: Readers
    reader: Reader
    client: AsyncWebClient


# What a card's button does once acked: (clicked, action, body, respond, who).
_Handler = Callable[
    [_Click, dict[str, Any], dict[str, Any], AsyncRespond, Requester], Awaitable[None]
]


async def _refresh(
    clicked: _Click,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """Look the card's code up again (never a remembered answer) and replace the card."""
    ref = await _decode(action, respond, clicked, who, "refresh")
    if ref is None:
        return
    # Where the card is comes from the verified payload, never from the button.
    in_channel = _in_channel(body)
    outcome, card = await lookup_card(
        clicked.services,
        ref,
        who=who,
        action="refresh",
        client=clicked.client,
        reader=clicked.reader,
        channel=clicked.readers.channel if in_channel else None,
        shared_by=who.user_id if in_channel else None,
        refreshed=True,
        shareable=not _in_dm(body),
    )
    if outcome.refusal is not None:  # keep the card; say why beside it
        await send_card(respond, card, replace_original=False)
        return
    response_type: Literal["ephemeral", "in_channel"] = "in_channel" if in_channel else "ephemeral"
    await send_card(
        respond, card, msg_id=outcome.msg_id, response_type=response_type, replace_original=True
    )


async def _details(
    clicked: _Click,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """One line of a batch card as its full card, beside the batch card, for the clicker
    only (an answer of a moment ago may do: the batch card just asked)."""
    ref = await _decode(action, respond, clicked, who, "details")
    if ref is None:
        return
    outcome, card = await lookup_card(
        clicked.services,
        ref,
        who=who,
        action="details",
        client=clicked.client,
        reader=clicked.reader,
        shareable=not _in_dm(body),
    )
    await send_card(respond, card, msg_id=outcome.msg_id, replace_original=False)


async def _share(
    clicked: _Click,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """Post a fresh card in the channel, credited to the clicker; then drop the private one."""
    ref = await _decode(action, respond, clicked, who, "share")
    if ref is None:
        return
    if _in_dm(body):  # a card from before DM cards lost their Share button
        reason = T("a direct message has no channel to share in; run /qrinfo in the channel.")
        await _tell(respond, clicked, who, body, reason)
        return
    # Looked up again: an ephemeral card's content does not come back with the click.
    outcome, card = await lookup_card(
        clicked.services,
        ref,
        who=who,
        action="share",
        client=clicked.client,
        reader=clicked.reader,
        channel=clicked.readers.channel,
        shared_by=who.user_id,
    )
    if outcome.refusal is not None:
        await send_card(respond, card, replace_original=False)
        return
    if outcome.kind != "found":
        reason = T("the gateway did not return the code just now.")
        await _tell(respond, clicked, who, body, reason)
        return
    # Post first, then remove the private card: if posting fails, nothing is lost.
    posted = await send_card(respond, card, msg_id=outcome.msg_id, response_type="in_channel")
    if not posted.ok:
        await _tell(respond, clicked, who, body, posted.detail or T("Slack did not take it."))
        return
    await delete_original(respond, msg_id=outcome.msg_id)


async def _show_qr(
    clicked: _Click,
    action: dict[str, Any],
    body: dict[str, Any],  # every click handler is given it
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """Send the clicker the code as a PNG in their DM with the bot.

    Looked up again (a recent identical answer may serve) and drawn from what the gateway
    says now: the button carries only the lookup, never a URL to draw.
    """
    ref = await _decode(action, respond, clicked, who, "show_qr")
    if ref is None or not who.user_id:  # the front door refuses a click without a user
        return
    outcome, card = await lookup_card(
        clicked.services,
        ref,
        who=who,
        action="show_qr",
        client=clicked.client,
        reader=clicked.reader,
    )
    info = outcome.answer.result if outcome.answer is not None else None
    if not isinstance(info, QrCodeInfo):  # refused or failed: say so beside the card
        await send_card(respond, card, replace_original=False)
        return
    tr = await clicked.reader.translator()
    url = info.qr_code_url
    if url is None or not drawable(url):  # the gateway's answer changed since the card
        log.warning("not drawing the QR URL of msgId=%s: not one the bot draws", outcome.msg_id)
        await send_card(respond, qr_not_drawn_card(bool(url), tr), replace_original=False)
        return
    title = tr("QR code {id}", id=ref.qr_code_id)
    file = DmFile(
        data=await asyncio.to_thread(png, url),  # a few ms of CPU: not on the event loop
        filename=f"qr-{ref.qr_code_id}.png",  # a checked id: letters and digits only
        title=title,
        alt_text=title,
        comment=qr_caption(info, outcome.env, tr),
    )
    failed = await send_file_to_dm(
        clicked.client,
        who.user_id,
        file,
        msg_id=outcome.msg_id,
        metrics=clicked.services.metrics,
    )
    if failed is not None:
        refused = (failed.code or "?") if failed.reason == "refused" else None
        await send_card(respond, qr_not_sent_card(refused, tr), replace_original=False)


def _in_channel(body: dict[str, Any]) -> bool:
    """Is the clicked card a channel message? Unknown counts as private: never broadcast.
    A message in a DM (the form's card) is its reader's own, not a channel's."""
    container = body.get("container")
    return (
        isinstance(container, dict) and container.get("is_ephemeral") is False and not _in_dm(body)
    )


def _in_dm(body: dict[str, Any]) -> bool:
    """Is the clicked card in a direct message (a D… conversation)?"""
    container = body.get("container")
    channel = container.get("channel_id") if isinstance(container, dict) else None
    return isinstance(channel, str) and channel.startswith("D")


async def _decode(
    action: dict[str, Any],
    respond: AsyncRespond,
    clicked: _Click,
    who: Requester,
    kind: Action,
) -> QrCodeRef | None:
    """The button's lookup, checked like user input; a tampered value gets a message instead."""
    started, services = time.monotonic(), clicked.services
    bind_now(team=who.team_id, user=who.user_id, action=kind)  # for the lines before a lookup
    try:
        return decode_button_value(str(action.get("value", "")))
    except UsageError as exc:
        log.warning("refused a button value from %s: %s", who.user_id, exc.problem)
        services.record(who, kind, None, outcome="invalid", msg_id=None, started=started)
        tr = await clicked.reader.translator()
        card = input_error_card(exc.problem, services.env, tr)
        await send_card(respond, card, replace_original=False)
        return None


async def _tell(
    respond: AsyncRespond,
    clicked: _Click,
    who: Requester,
    body: dict[str, Any],
    reason: Text | str,
) -> None:
    """Tell the clicker that sharing failed: through the response_url, else chat.postEphemeral."""
    client = clicked.client
    card = share_failed_card(reason, await clicked.reader.translator())
    if (await send_card(respond, card, replace_original=False)).ok:
        return
    container = body.get("container")
    # Bolt reads the channel from the payload's channel, not from the message's container.
    in_container = container.get("channel_id") if isinstance(container, dict) else None
    channel = who.channel_id or (in_container if isinstance(in_container, str) else None)
    if not channel or not who.user_id:
        log.warning("could not tell the clicker that sharing failed: no channel in the click")
        return
    await web_api_call(
        "chat.postEphemeral",
        client.chat_postEphemeral(
            channel=channel, user=who.user_id, text=card.text, blocks=card.block_dicts()
        ),
        metrics=clicked.services.metrics,
        what=f"tell {who.user_id} that sharing failed",
    )
