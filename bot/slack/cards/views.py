"""Pure: the lookup form (a modal) and reading its submission."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.gateway.ids import MID_EXAMPLE, QR_CODE_ID_EXAMPLE
from bot.i18n import Text, Translator
from bot.service.batch_limit import MAX_BATCH
from bot.slack.cards.mrkdwn import clip

FORM_CALLBACK = "qr_lookup_form"
MID_BLOCK = "mid"
QR_BLOCK = "qrCodeId"
INPUT_ACTION = "value"


def form_modal(
    tr: Translator,
    *,
    mid: str | None = None,
    qr_code_id: str | None = None,
    note: Text | None = None,
) -> dict[str, Any]:
    """The form: merchant number, and QR code id or URL; pre-filled when we know them."""
    blocks: list[Any] = []
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(tr(note), 1000))]))
    blocks += [_mid_input(tr, mid), _qr_input(tr, qr_code_id)]
    view = View(
        type="modal",
        callback_id=FORM_CALLBACK,
        # Slack caps a modal's title, submit and close at 24 characters each.
        title=PlainTextObject(text=tr("Look up a QR code")),
        submit=PlainTextObject(text=tr("Look up")),
        close=PlainTextObject(text=tr("Cancel")),
        blocks=blocks,
    )
    return view.to_dict()


def _mid_input(tr: Translator, mid: str | None) -> InputBlock:
    """The merchant number's field: one line."""
    return InputBlock(
        block_id=MID_BLOCK,
        label=PlainTextObject(text=tr("Merchant number (mid)")),
        hint=PlainTextObject(text=tr("Usually 15 digits, from the merchant's contract.")),
        element=PlainTextInputElement(
            action_id=INPUT_ACTION,
            initial_value=mid or None,
            placeholder=PlainTextObject(text=MID_EXAMPLE),
            max_length=100,
        ),
    )


def _qr_input(tr: Translator, qr_code_id: str | None) -> InputBlock:
    """The QR code's field: several lines, for a list of up to MAX_BATCH codes."""
    hint = tr(
        "The id (about 26 characters) or the whole QR code URL; "
        "or up to {most} of them, one per line.",
        most=MAX_BATCH,
    )
    return InputBlock(
        block_id=QR_BLOCK,
        label=PlainTextObject(text=tr("QR code id or URL")),
        hint=PlainTextObject(text=hint),
        element=PlainTextInputElement(
            action_id=INPUT_ACTION,
            multiline=True,
            initial_value=qr_code_id or None,
            placeholder=PlainTextObject(text=QR_CODE_ID_EXAMPLE),
            max_length=3000,
        ),
    )


def submitted_values(view: dict[str, Any]) -> tuple[str, str]:
    """(mid text, QR text) from a view_submission; anything missing or malformed reads as empty."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None

    def read(block: str) -> str:
        inputs = values.get(block) if isinstance(values, dict) else None
        element = inputs.get(INPUT_ACTION) if isinstance(inputs, dict) else None
        value = element.get("value") if isinstance(element, dict) else None
        return value if isinstance(value, str) else ""

    return read(MID_BLOCK), read(QR_BLOCK)
