"""The /qrinfo slash command: ack, parse, look up, render, respond."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import bind_now
from bot.service.guard import Requester
from bot.service.services import Services
from bot.service.status import status_of
from bot.slack.cards.notices import input_error_card
from bot.slack.cards.ops import status_card
from bot.slack.cards.usage import usage_card
from bot.slack.listeners.listening import (
    after_ack,
    operator_or_refused,
    request_card,
    requester,
)
from bot.slack.reading.command import parse_command
from bot.slack.reading.pasted import HelpRequest, StatusRequest, UsageError
from bot.slack.webapi.language import Reader, Readers
from bot.slack.webapi.replies import send_card

COMMAND = "/qrinfo"
log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services, readers: Readers) -> None:
    @app.command(COMMAND)
    async def qrinfo(
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await on_command(services, readers, ack, command, respond, context, client)


async def on_command(  # the listener's own arguments, as Bolt injects them
    services: Services,
    readers: Readers,
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    """The /qrinfo listener: through Bolt, or straight from the front door (:mod:`.express`)."""
    async with after_ack(ack, services, readers, respond, client, context) as reader:
        text = str(command.get("text") or "")
        await _answer(services, reader, text, respond, context, client)


async def _answer(  # one command's every circumstance
    services: Services,
    reader: Reader,
    text: str,
    respond: AsyncRespond,
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    started, who = time.monotonic(), requester(context)
    bind_now(team=who.team_id, user=who.user_id, action="command")  # for bad input too
    try:
        parsed = parse_command(text)
    except UsageError as exc:
        services.record(who, "command", None, outcome="invalid", msg_id=None, started=started)
        tr = await reader.translator()
        await send_card(respond, input_error_card(exc.problem, services.env, tr))
        return
    if isinstance(parsed, HelpRequest):
        envs = [env for env, _ in services.gateways]
        await send_card(respond, usage_card(envs, await reader.translator()))
        return
    if isinstance(parsed, StatusRequest):
        await _status(services, reader, respond, who, client)
        return
    msg_id, card = await request_card(
        services, parsed, who=who, action="command", client=client, reader=reader
    )
    await send_card(respond, card, msg_id=msg_id)


async def _status(
    services: Services,
    reader: Reader,
    respond: AsyncRespond,
    who: Requester,
    client: AsyncWebClient,
) -> None:
    """`/qrinfo status`: the state of the bot and its gateway, for operators only."""
    tr = await reader.translator()
    if await operator_or_refused(services, who, client, respond, tr, what="/qrinfo status"):
        await send_card(respond, status_card(status_of(services), tr))
