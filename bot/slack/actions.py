"""Buttons on the card."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.slack.cards import OPEN_QR_ACTION
from bot.slack.lookups import Services


def register(app: AsyncApp, services: Services) -> None:
    @app.action(OPEN_QR_ACTION)
    async def open_qr(ack: AsyncAck) -> None:
        # A URL button opens the link in the browser; Slack still sends us the
        # click, and without an ack users see a warning icon.
        await ack()
