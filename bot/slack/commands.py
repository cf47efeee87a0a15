"""The /qrinfo slash command: ack, parse, look up, render, respond."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.cards import input_error_card, usage_card
from bot.slack.guard import Requester
from bot.slack.lookups import Services, look_up
from bot.slack.parse import HelpRequest, UsageError, parse_command
from bot.slack.replies import send_card

COMMAND = "/qrinfo"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def qrinfo(
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        await ack()  # before any I/O: Slack gives us 3 seconds
        async with services.work(respond):
            started = time.monotonic()
            who = Requester.from_context(context)
            try:
                parsed = parse_command(command.get("text") or "")
            except UsageError as exc:
                services.record(
                    who, "command", None, outcome="invalid", msg_id=None, started=started
                )
                await send_card(respond, input_error_card(exc.problem, services.env))
                return
            if isinstance(parsed, HelpRequest):
                await send_card(respond, usage_card(services.env))
                return
            result = await look_up(services, parsed, who=who, action="command", client=client)
            await send_card(respond, result.card, msg_id=result.msg_id)
