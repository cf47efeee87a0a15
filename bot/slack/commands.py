"""The /qrinfo slash command: ack, parse, look up, render, respond."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack.cards import input_error_card, usage_card
from bot.slack.lookups import Services, look_up
from bot.slack.parse import HelpRequest, UsageError, parse_command
from bot.slack.replies import send_card, unexpected_errors_reported

COMMAND = "/qrinfo"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def qrinfo(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # before any I/O: Slack gives us 3 seconds
        async with unexpected_errors_reported(respond):
            try:
                parsed = parse_command(command.get("text") or "")
            except UsageError as exc:
                await send_card(respond, input_error_card(exc.problem, services.env))
                return
            if isinstance(parsed, HelpRequest):
                await send_card(respond, usage_card(services.env))
                return
            result = await look_up(services, parsed)
            await send_card(respond, result.card, msg_id=result.msg_id)
