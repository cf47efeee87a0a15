"""The lookup form: a global shortcut, a message shortcut, and the form's submission."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.gateway.ids import QrCodeRef
from bot.i18n import T, Translator
from bot.service.batch_limit import TooManyLookups
from bot.service.guard import Requester
from bot.service.services import Services
from bot.slack.cards.views import FORM_CALLBACK, MID_BLOCK, QR_BLOCK, form_modal, submitted_values
from bot.slack.listeners.listening import after_ack, request_card, requester, routed_batch
from bot.slack.reading.batch import too_many_codes
from bot.slack.reading.form import FormErrors, parse_form
from bot.slack.reading.message import find_in_message, message_text
from bot.slack.reading.pasted import MID, QR_CODE_ID, BatchRequest
from bot.slack.webapi.direct import send_card_to_dm
from bot.slack.webapi.errors import error_code
from bot.slack.webapi.language import Reader, Readers

log = logging.getLogger(__name__)

GLOBAL_SHORTCUT = "qr_lookup"
MESSAGE_SHORTCUT = "qr_lookup_message"
FORM_LOCALE_WAIT_SECONDS = 1.0  # of the trigger_id's 3 s, the most the locale may take
_FIELD_BLOCKS = {MID: MID_BLOCK, QR_CODE_ID: QR_BLOCK}


def register(app: AsyncApp, services: Services, readers: Readers) -> None:
    """The form: opened by either shortcut (from a message: with what it shows filled in),
    read when submitted, its errors shown inline."""
    app.shortcut(GLOBAL_SHORTCUT)(_form_opener(services, readers, _empty_form))
    app.shortcut(MESSAGE_SHORTCUT)(_form_opener(services, readers, _prefilled_form))

    @app.view(FORM_CALLBACK)
    async def submit(
        ack: AsyncAck,
        view: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        try:
            request = _read_form(services, view)
        except FormErrors as exc:
            # Inline errors go with the ack: only a language already known, no waiting.
            await ack(response_action="errors", errors=_inline(exc, readers.known(context.user_id)))
            return
        async with after_ack(ack, services, readers, respond, client, context) as reader:
            await _answer_in_dm(services, reader, request, client, requester(context))


# Draws the form for a shortcut's payload, in the reader's language.
_DrawForm = Callable[[dict[str, Any], Translator], dict[str, Any]]


def _form_opener(
    services: Services, readers: Readers, draw: _DrawForm
) -> Callable[..., Awaitable[None]]:
    """A shortcut's listener: after the ack, the form *draw* makes, opened in the reader's
    language if Slack says it in time."""

    async def open_form(
        ack: AsyncAck,
        shortcut: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        async with after_ack(ack, services, readers, respond, client, context) as reader:
            # trigger_id lives 3 seconds: the locale gets at most one of them.
            tr = await reader.translator(wait=FORM_LOCALE_WAIT_SECONDS)
            await open_view(client, shortcut["trigger_id"], draw(shortcut, tr))

    return open_form


def _empty_form(shortcut: dict[str, Any], tr: Translator) -> dict[str, Any]:
    """The form with nothing filled in (the global shortcut has no message)."""
    return form_modal(tr)


def _read_form(services: Services, view: dict[str, Any]) -> QrCodeRef | BatchRequest:
    """What the submitted form asks; FormErrors for what cannot be looked up, so the form
    stays open to fix it: a list is counted as routed now (an id from both environments
    is two)."""
    request = parse_form(*submitted_values(view))
    if isinstance(request, BatchRequest):
        try:
            routed_batch(services, request)
        except TooManyLookups as exc:
            raise FormErrors({QR_CODE_ID: too_many_codes(exc.count)}) from None
    return request


def _inline(exc: FormErrors, tr: Translator) -> dict[str, str]:
    """The form's errors by its input blocks, in *tr*'s language."""
    return {_FIELD_BLOCKS[field]: tr(text) for field, text in exc.errors.items()}


async def _answer_in_dm(
    services: Services,
    reader: Reader,
    request: QrCodeRef | BatchRequest,
    client: AsyncWebClient,
    who: Requester,
) -> None:
    """The form's card, to the submitter's DM: the ack closed the modal, and there is
    nobody there to share it with."""
    msg_id, card = await request_card(
        services, request, who=who, action="form", client=client, reader=reader, shareable=False
    )
    if who.user_id:  # the front door refuses a submission without a user
        await send_card_to_dm(client, who.user_id, card, msg_id, services.metrics)


def _prefilled_form(shortcut: dict[str, Any], tr: Translator) -> dict[str, Any]:
    """The form, with what the message shows of a QR code (and its merchant) filled in."""
    mid, qr_code_id = find_in_message(message_text(shortcut.get("message", {})))
    note = None if qr_code_id else T("No QR code URL found in that message: type the id.")
    return form_modal(tr, mid=mid, qr_code_id=qr_code_id, note=note)


async def open_view(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> None:
    """Open *view* (a modal) for the click or shortcut that gave *trigger_id*; a failure
    (an expired trigger, mostly) is one WARNING line."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        # expired_trigger_id, mostly: the user can click again.
        log.warning("could not open the lookup form: %s", error_code(exc))
