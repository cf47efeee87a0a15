"""Sending a card to a response_url, with its status checked (respond() does not raise)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.i18n import T, Text, Translator
from bot.slack.cards.blocks import Card
from bot.slack.cards.notices import unexpected_error_card

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    """How a post to a response_url went; ``detail`` says why when it did not."""

    ok: bool
    detail: Text | None = None


async def send_card(
    respond: AsyncRespond,
    card: Card,
    *,
    msg_id: str | None = None,
    response_type: Literal["ephemeral", "in_channel"] = "ephemeral",
    replace_original: bool | None = None,
) -> Sent:
    """Post *card*; a failure is logged with the msgId and returned, never raised."""
    return await _post(
        respond,
        msg_id,
        text=card.text,
        blocks=card.block_dicts(),
        response_type=response_type,
        replace_original=replace_original,
    )


async def delete_original(respond: AsyncRespond, *, msg_id: str | None = None) -> Sent:
    """Remove the message the clicked button sits on."""
    return await _post(respond, msg_id, delete_original=True)


async def _post(respond: AsyncRespond, msg_id: str | None, **message: Any) -> Sent:
    try:
        response = await respond(**message)
    except Exception as exc:  # noqa: BLE001  # network trouble is a failed send, reported
        log.warning("reply could not be sent msgId=%s: %r", msg_id, exc)
        return Sent(
            ok=False, detail=T("Slack could not be reached ({error}).", error=type(exc).__name__)
        )
    if response.status_code != 200:
        log.warning(
            "reply refused by Slack msgId=%s status=%s body=%.200s",
            msg_id,
            response.status_code,
            response.body,
        )
        return Sent(
            ok=False,
            detail=T(
                "Slack answered HTTP {status}: {said}",
                status=response.status_code,
                said=response.body[:100],
            ),
        )
    return Sent(ok=True)


async def report_unexpected(
    error: BaseException, respond: AsyncRespond | None, tr: Callable[[], Translator]
) -> str:
    """Log *error* with its traceback under a fresh reference; apologise to the user (in
    the language *tr* gives, which must not wait: something already went wrong)."""
    reference = "err-" + uuid.uuid4().hex[:12]
    log.error("unexpected error %s", reference, exc_info=error)
    if respond is not None and respond.response_url:
        await send_card(respond, unexpected_error_card(reference, tr()), msg_id=reference)
    return reference


def unexpected_errors_reported(
    respond: AsyncRespond | None, tr: Callable[[], Translator]
) -> ErrorsReported:
    """Wrap a listener's work after its ack: anything unexpected is reported, never raised.

    Bolt's own error path has a race: when a listener raises within its 10 ms
    ack poll after acking, the runner overwrites the ack with None, waits out
    the 3 seconds and answers Slack 404. Keeping exceptions inside the listener
    keeps the ack, and the user still gets the apology with a reference.
    """
    return ErrorsReported(respond, tr)


class ErrorsReported:
    """:func:`unexpected_errors_reported`'s block. A class, not a generator: each of a
    burst's lookups holds one for its whole life."""

    __slots__ = ("_respond", "_tr")

    def __init__(self, respond: AsyncRespond | None, tr: Callable[[], Translator]) -> None:
        self._respond = respond
        self._tr = tr

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if not isinstance(error, Exception):  # none, or a cancellation: on its way
            return False
        await report_unexpected(error, self._respond, self._tr)  # the one place for them all
        return True
