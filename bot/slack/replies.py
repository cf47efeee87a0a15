"""Sending a card to a response_url, with its status checked (respond() does not raise)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack.cards import Card, unexpected_error_card

log = logging.getLogger(__name__)


async def send_card(
    respond: AsyncRespond,
    card: Card,
    *,
    msg_id: str | None = None,
    response_type: Literal["ephemeral", "in_channel"] = "ephemeral",
) -> bool:
    """Post *card*; log a failure with the msgId. True when Slack took it."""
    try:
        response = await respond(
            text=card.text,
            blocks=[block.to_dict() for block in card.blocks],
            response_type=response_type,
        )
    except Exception:
        log.exception("reply could not be sent msgId=%s", msg_id)
        return False
    if response.status_code != 200:
        log.warning(
            "reply refused by Slack msgId=%s status=%s body=%.200s",
            msg_id,
            response.status_code,
            response.body,
        )
        return False
    return True


async def report_unexpected(error: BaseException, respond: AsyncRespond | None) -> str:
    """Log *error* with its traceback under a fresh reference; apologise to the user."""
    reference = "err-" + uuid.uuid4().hex[:12]
    log.error("unexpected error %s", reference, exc_info=error)
    if respond is not None and respond.response_url:
        await send_card(respond, unexpected_error_card(reference), msg_id=reference)
    return reference


@asynccontextmanager
async def unexpected_errors_reported(respond: AsyncRespond) -> AsyncIterator[None]:
    """Wrap a listener's work after its ack: anything unexpected is reported, never raised.

    Bolt's own error path has a race: when a listener raises within its 10 ms
    ack poll after acking, the runner overwrites the ack with None, waits out
    the 3 seconds and answers Slack 404. Keeping exceptions inside the listener
    keeps the ack, and the user still gets the apology with a reference.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001  # the one place that must catch everything
        await report_unexpected(exc, respond)
