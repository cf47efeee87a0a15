"""Direct messages from the bot: the form's card, and a QR code's image as a file.

A card can go to a user id (``chat.postMessage``, ``chat:write``: it lands in the
app's DM with them), but a file is shared to a conversation id, which
``conversations.open`` gives (``im:write``); the upload itself is slack_sdk's
``files_upload_v2`` (``files:write``). A failure is logged and counted, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.metrics import Metrics, ReplyFailure, ReplyVia
from bot.slack.blocks import Card
from bot.slack.webapi import error_code, unreachable

log = logging.getLogger(__name__)

# conversations.open, getUploadURLExternal, the upload and completeUploadExternal together
# (each call also has the Web API session's own 10 s).
FILE_SECONDS = 30.0


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


@dataclass(frozen=True, slots=True)
class DmFile:
    """A file for someone's DM with the bot, and the message it comes with."""

    data: bytes
    filename: str
    title: str
    alt_text: str
    comment: str  # mrkdwn, already escaped


@dataclass(frozen=True, slots=True)
class NotSent:
    """Why a file did not reach the DM: Slack refused (``code``: its error) or gave no answer."""

    via: ReplyVia
    reason: ReplyFailure  # "refused" or "unreachable"
    code: str | None = None  # Slack's error code, when it refused


async def send_file_to_dm(
    client: AsyncWebClient,
    user_id: str,
    file: DmFile,
    *,
    msg_id: str | None,
    metrics: Metrics,
) -> NotSent | None:
    """Open the DM with *user_id* and upload *file* into it; None when it arrived.

    A failure is one WARNING line and a ``qrinfo_slack_replies_failed_total`` count.
    """
    via: ReplyVia = "conversations.open"
    failure: NotSent | None = None
    detail = ""
    try:
        async with asyncio.timeout(FILE_SECONDS):
            opened = await client.conversations_open(users=user_id)
            channel = _channel_id(opened.data)
            if channel is None:
                failure, detail = NotSent(via, "refused", "no channel id"), "no channel id"
            else:
                via = "files.upload"
                await client.files_upload_v2(
                    channel=channel,
                    file=file.data,
                    filename=file.filename,
                    title=file.title,
                    alt_txt=file.alt_text,
                    initial_comment=file.comment,
                )
    except SlackApiError as exc:
        failure = NotSent(via, "refused", error_code(exc))
        detail = failure.code or ""
    except SlackRequestError as exc:  # slack_sdk's word for an upload URL that said no
        failure = NotSent(via, "refused", "upload refused")
        detail = str(exc)[:300]  # "Failed to upload a file (status: 500, body: …)"
    except (TypeError, KeyError, ValueError) as exc:
        # An "ok" reply without what the next step needs (no upload_url, no files): slack_sdk
        # trips over it. Slack's doing, told as a refusal, never a traceback.
        failure = NotSent(via, "refused", "unexpected reply")
        detail = f"a reply slack_sdk could not use ({type(exc).__name__}: {str(exc)[:200]})"
    except (aiohttp.ClientError, TimeoutError) as exc:
        failure = NotSent(via, "unreachable")
        detail = unreachable(exc, via, timeout=FILE_SECONDS)
    if failure is not None:
        metrics.reply_failed(failure.via, failure.reason)
        log.warning("could not send a file to %s msgId=%s: %s: %s", user_id, msg_id, via, detail)
    return failure


def _channel_id(data: Any) -> str | None:
    channel = data.get("channel") if isinstance(data, dict) else None
    found = channel.get("id") if isinstance(channel, dict) else None
    return found if isinstance(found, str) and found else None
