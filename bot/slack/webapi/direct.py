"""Posting through Slack's Web API, logged and counted: direct messages from the bot (the
form's card, a QR code's image as a file), and any post that must not raise.

A card can go to a user id (``chat.postMessage``, ``chat:write``: it lands in the
app's DM with them), but a file is shared to a conversation id, which
``conversations.open`` gives (``im:write``); the upload itself is slack_sdk's
``files_upload_v2`` (``files:write``). A failure is logged and counted, never raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service.metrics import Metrics, ReplyFailure, ReplyVia
from bot.slack.cards.blocks import Card
from bot.slack.webapi.errors import WEB_API_TIMEOUT_SECONDS, error_code, unreachable

log = logging.getLogger(__name__)

# conversations.open, getUploadURLExternal, the upload and completeUploadExternal together
# (each call also has the Web API session's own 10 s).
FILE_SECONDS = 30.0


async def send_card_to_dm(
    client: AsyncWebClient, user_id: str, card: Card, msg_id: str | None, metrics: Metrics
) -> NotSent | None:
    """A modal has no channel: the card goes to the user's DM with the bot."""
    return await web_api_call(
        "chat.postMessage",
        client.chat_postMessage(channel=user_id, text=card.text, blocks=card.block_dicts()),
        metrics=metrics,
        what=f"send a card to {user_id} msgId={msg_id}",
    )


async def web_api_call(
    via: ReplyVia, call: Awaitable[Any], *, metrics: Metrics, what: str
) -> NotSent | None:
    """Await one Web API *call* that posts something (*what*: for the log); None when Slack
    took it, else why not, logged (one WARNING line) and counted, never raised."""
    try:
        await call
    except WEB_API_FAILURES as exc:
        failure, detail = failed(exc, via)
        metrics.reply_failed(failure.via, failure.reason)
        log.warning("could not %s: %s: %s", what, via, detail)
        return failure
    return None


# How a Web API call fails that is not our bug: Slack said no, or gave no usable answer.
WEB_API_FAILURES = (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError)


def failed(
    exc: BaseException, via: ReplyVia, *, seconds: float = WEB_API_TIMEOUT_SECONDS
) -> tuple[NotSent, str]:
    """What one of WEB_API_FAILURES was (refused by Slack, or no answer) and a line on it."""
    if isinstance(exc, SlackApiError):
        return NotSent(via, "refused", error_code(exc)), error_code(exc)
    if isinstance(exc, SlackRequestError):  # slack_sdk's word for an upload URL that said no
        return NotSent(via, "refused", "upload refused"), str(exc)[:300]
    return NotSent(via, "unreachable"), unreachable(exc, via, timeout=seconds)


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
    failure, detail = await _open_and_upload(client, user_id, file)
    if failure is not None:
        metrics.reply_failed(failure.via, failure.reason)
        log.warning(
            "could not send a file to %s msgId=%s: %s: %s", user_id, msg_id, failure.via, detail
        )
    return failure


async def _open_and_upload(
    client: AsyncWebClient, user_id: str, file: DmFile
) -> tuple[NotSent | None, str]:
    """conversations.open, then the upload into that DM, within FILE_SECONDS: (None, "")
    when it arrived, else which step failed and how, with a line on it."""
    via: ReplyVia = "conversations.open"
    try:
        async with asyncio.timeout(FILE_SECONDS):
            opened = await client.conversations_open(users=user_id)
            channel = _channel_id(opened.data)
            if channel is None:
                return NotSent(via, "refused", "no channel id"), "no channel id"
            via = "files.upload"
            await _upload(client, channel, file)
    except (TypeError, KeyError, ValueError) as exc:
        # An "ok" reply without what the next step needs (no upload_url, no files): slack_sdk
        # trips over it. Slack's doing, told as a refusal, never a traceback.
        detail = f"a reply slack_sdk could not use ({type(exc).__name__}: {str(exc)[:200]})"
        return NotSent(via, "refused", "unexpected reply"), detail
    except WEB_API_FAILURES as exc:
        return failed(exc, via, seconds=FILE_SECONDS)
    return None, ""


async def _upload(client: AsyncWebClient, channel: str, file: DmFile) -> None:
    """*file* into *channel*: slack_sdk's files_upload_v2 (getUploadURLExternal, the upload,
    completeUploadExternal)."""
    await client.files_upload_v2(
        channel=channel,
        file=file.data,
        filename=file.filename,
        title=file.title,
        alt_txt=file.alt_text,
        initial_comment=file.comment,
    )


def _channel_id(data: Any) -> str | None:
    channel = data.get("channel") if isinstance(data, dict) else None
    found = channel.get("id") if isinstance(channel, dict) else None
    return found if isinstance(found, str) and found else None
