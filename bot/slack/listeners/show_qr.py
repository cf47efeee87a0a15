"""The Show QR code button: the code looked up again and drawn as a PNG, sent to the
clicker's DM with the bot; a card beside the clicked one when it cannot be.

A listener module: may touch Bolt, the rooms below (webapi, cards, reading), the service
and the QR drawing (bot.qr_image); never serving, the room above (an import contract).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.gateway.config import Environment
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import Translator
from bot.qr_image import drawable, png
from bot.service.guard import Requester
from bot.service.lookup import Outcome
from bot.slack.cards.card import qr_caption
from bot.slack.cards.notices import qr_not_drawn_card, qr_not_sent_card
from bot.slack.listeners.clicks import Click, decode_click
from bot.slack.listeners.listening import lookup_card
from bot.slack.webapi.direct import DmFile, send_file_to_dm
from bot.slack.webapi.replies import send_card

log = logging.getLogger(__name__)


async def show_qr(
    clicked: Click,
    action: dict[str, Any],
    body: dict[str, Any],  # every click handler is given it
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """Send the clicker the code as a PNG in their DM with the bot.

    Looked up again (a recent identical answer may serve) and drawn from what the gateway
    says now: the button carries only the lookup, never a URL to draw.
    """
    ref = await decode_click(action, respond, clicked, who, "show_qr")
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
    await _send_image(clicked, respond, user_id=who.user_id, ref=ref, outcome=outcome, info=info)


async def _send_image(  # one found code's every circumstance
    clicked: Click,
    respond: AsyncRespond,
    *,
    user_id: str,
    ref: QrCodeRef,
    outcome: Outcome,
    info: QrCodeInfo,
) -> None:
    """The found code's image to *user_id*'s DM; else a card beside the clicked one saying
    why not (a URL the bot does not draw, or Slack refused or did not answer)."""
    tr = await clicked.reader.translator()
    url = info.qr_code_url
    if url is None or not drawable(url):  # the gateway's answer changed since the card
        log.warning("not drawing the QR URL of msgId=%s: not one the bot draws", outcome.msg_id)
        await send_card(respond, qr_not_drawn_card(bool(url), tr), replace_original=False)
        return
    file = await _qr_file(url, ref, info, outcome.env, tr)
    failed = await send_file_to_dm(
        clicked.client, user_id, file, msg_id=outcome.msg_id, metrics=clicked.services.metrics
    )
    if failed is not None:
        refused = (failed.code or "?") if failed.reason == "refused" else None
        await send_card(respond, qr_not_sent_card(refused, tr), replace_original=False)


async def _qr_file(
    url: str, ref: QrCodeRef, info: QrCodeInfo, env: Environment, tr: Translator
) -> DmFile:
    """The code drawn as a PNG, with its caption (what it is, from which gateway)."""
    title = tr("QR code {id}", id=ref.qr_code_id)
    return DmFile(
        data=await asyncio.to_thread(png, url),  # a few ms of CPU: not on the event loop
        filename=f"qr-{ref.qr_code_id}.png",  # a checked id: letters and digits only
        title=title,
        alt_text=title,
        comment=qr_caption(info, env, tr),
    )
