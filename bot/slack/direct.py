"""Direct messages from the bot: the form's card.

A card can go to a user id (``chat.postMessage``, ``chat:write``): it lands in the
app's DM with them. A failure is logged and counted, never raised.
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.metrics import Metrics
from bot.slack.blocks import Card
from bot.slack.webapi import error_code, unreachable

log = logging.getLogger(__name__)


async def send_card_to_dm(
    client: AsyncWebClient, user_id: str, card: Card, msg_id: str | None, metrics: Metrics
) -> None:
    """A modal has no channel: the card goes to the user's DM with the bot."""
    try:
        await client.chat_postMessage(
            channel=user_id,
            text=card.text,
            blocks=card.block_dicts(),
        )
    except SlackApiError as exc:
        metrics.reply_failed("chat.postMessage", "refused")
        log.warning(
            "could not send the form's card to %s msgId=%s: %s",
            user_id,
            msg_id,
            error_code(exc),
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        metrics.reply_failed("chat.postMessage", "unreachable")
        log.warning(
            "could not send the form's card to %s msgId=%s: %s",
            user_id,
            msg_id,
            unreachable(exc, "chat.postMessage"),
        )
