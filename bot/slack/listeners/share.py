"""The Share in channel button: a fresh card in the channel, credited to the clicker, then
the private one dropped; what went wrong told to the clicker alone.

A listener module: may touch Bolt, the rooms below (webapi, cards, reading) and the
service; never serving, the room above (an import contract).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.i18n import T, Text
from bot.service.guard import Requester
from bot.slack.cards.notices import share_failed_card
from bot.slack.listeners.clicks import Click, decode_click, in_dm
from bot.slack.listeners.listening import lookup_card
from bot.slack.webapi.direct import web_api_call
from bot.slack.webapi.replies import delete_original, send_card

log = logging.getLogger(__name__)


async def share(
    clicked: Click,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    who: Requester,
) -> None:
    """Post a fresh card in the channel, credited to the clicker; then drop the private one."""
    ref = await decode_click(action, respond, clicked, who, "share")
    if ref is None:
        return
    if in_dm(body):  # a card from before DM cards lost their Share button
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


async def _tell(
    respond: AsyncRespond,
    clicked: Click,
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
