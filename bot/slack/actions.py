"""Buttons on the card: Open QR code (ack only), Refresh, Share in channel."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Action
from bot.slack.cards import (
    OPEN_QR_ACTION,
    REFRESH_ACTION,
    SHARE_ACTION,
    input_error_card,
    share_failed_card,
)
from bot.slack.guard import Requester
from bot.slack.lookups import Services, look_up
from bot.slack.parse import Lookup, UsageError, decode_button_value
from bot.slack.replies import delete_original, send_card
from bot.slack.webapi import error_code

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    @app.action(OPEN_QR_ACTION)
    async def open_qr(ack: AsyncAck, respond: AsyncRespond) -> None:
        # A URL button opens the link in the browser; Slack still sends us the
        # click, and without an ack users see a warning icon. Nothing else to do,
        # but tracked like every listener's work, so a shutdown (or a test) can wait on it.
        await ack()
        async with services.work(respond):
            pass

    @app.action(REFRESH_ACTION)
    async def refresh(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        async with services.work(respond):
            who = Requester.from_context(context)
            request = await _decode(action, respond, services, who, "refresh")
            if request is None:
                return
            # Where the card is comes from the verified payload, never from the button.
            in_channel = _in_channel(body)
            result = await look_up(
                services,
                request,
                who=who,
                action="refresh",
                client=client,
                shared_by=who.user_id if in_channel else None,
                refreshed=True,
            )
            if result.outcome == "refused":  # keep the card; say why beside it
                await send_card(respond, result.card, replace_original=False)
                return
            await send_card(
                respond,
                result.card,
                msg_id=result.msg_id,
                response_type="in_channel" if in_channel else "ephemeral",
                replace_original=True,
            )

    @app.action(SHARE_ACTION)
    async def share(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        async with services.work(respond):
            who = Requester.from_context(context)
            request = await _decode(action, respond, services, who, "share")
            if request is None:
                return
            # Looked up again: an ephemeral card's content does not come back with the click.
            result = await look_up(
                services, request, who=who, action="share", client=client, shared_by=who.user_id
            )
            if result.outcome == "refused":
                await send_card(respond, result.card, replace_original=False)
                return
            if result.outcome != "found":
                await _tell(
                    respond, client, who, body, "the gateway did not return the code just now."
                )
                return
            # Post first, then remove the private card: if posting fails, nothing is lost.
            posted = await send_card(
                respond, result.card, msg_id=result.msg_id, response_type="in_channel"
            )
            if not posted.ok:
                await _tell(respond, client, who, body, posted.detail)
                return
            await delete_original(respond, msg_id=result.msg_id)


def _in_channel(body: dict[str, Any]) -> bool:
    """Is the clicked card a channel message? Unknown counts as private: never broadcast."""
    container = body.get("container")
    return isinstance(container, dict) and container.get("is_ephemeral") is False


async def _decode(
    action: dict[str, Any],
    respond: AsyncRespond,
    services: Services,
    who: Requester,
    kind: Action,
) -> Lookup | None:
    """The button's lookup, checked like user input; a tampered value gets a message instead."""
    started = time.monotonic()
    try:
        return decode_button_value(str(action.get("value", "")))
    except UsageError as exc:
        log.warning("refused a button value from %s: %s", who.user_id, exc.problem)
        services.record(who, kind, None, outcome="invalid", msg_id=None, started=started)
        await send_card(
            respond, input_error_card(exc.problem, services.env), replace_original=False
        )
        return None


async def _tell(
    respond: AsyncRespond,
    client: AsyncWebClient,
    who: Requester,
    body: dict[str, Any],
    reason: str,
) -> None:
    """Tell the clicker that sharing failed: through the response_url, else chat.postEphemeral."""
    card = share_failed_card(reason)
    if (await send_card(respond, card, replace_original=False)).ok:
        return
    container = body.get("container")
    # Bolt reads the channel from the payload's channel, not from the message's container.
    in_container = container.get("channel_id") if isinstance(container, dict) else None
    channel = who.channel_id or (in_container if isinstance(in_container, str) else None)
    if not channel or not who.user_id:
        log.warning("could not tell the clicker that sharing failed: no channel in the click")
        return
    try:
        await client.chat_postEphemeral(
            channel=channel,
            user=who.user_id,
            text=card.text,
            blocks=card.block_dicts(),
        )
    except SlackApiError as exc:
        log.warning("could not tell %s that sharing failed: %s", who.user_id, error_code(exc))
