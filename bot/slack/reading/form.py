"""Pure: the lookup form's two fields, read with the command's rules; what is wrong is said
per field (FormErrors), so the form can show it inline.

May touch the gateway's checks, i18n and the other reading modules; nothing of Bolt,
aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from bot.gateway.errors import InvalidInput
from bot.gateway.ids import MID_EXAMPLE, QrCodeRef, check_mid
from bot.i18n import T, Text
from bot.service.batch_limit import TooManyLookups
from bot.slack.reading.batch import a_mid_among_codes, distinct_codes, too_many_codes
from bot.slack.reading.checked import expected, looks_like_a_mid, qr_value
from bot.slack.reading.pasted import (
    FIELD_NAMES,
    MID,
    QR_CODE_ID,
    BatchRequest,
    UsageError,
    is_url,
    normalise,
    read_values,
)

_Read = TypeVar("_Read")


class FormErrors(Exception):
    """Field name (``mid``, ``qrCodeId``) -> what is wrong with it."""

    def __init__(self, errors: dict[str, Text]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def parse_form(mid_text: str, qr_text: str) -> QrCodeRef | BatchRequest:
    """Read the lookup form's two fields with the command's rules: one merchant number, and
    one QR code id or URL, or several (up to MAX_BATCH, any separators).

    Raises FormErrors with a message for each field at fault, so both can be
    shown inline at once.
    """
    errors: dict[str, Text] = {}
    mid = _field(MID, lambda: check_mid(_mid_value(mid_text)), errors)
    codes = _field(QR_CODE_ID, lambda: _codes(qr_text), errors)
    if mid is None or codes is None:
        raise FormErrors(errors)
    refs, typed = codes
    refs = tuple(replace(ref, mid=mid) for ref in refs)
    return refs[0] if len(refs) == 1 else BatchRequest(refs, duplicates=typed - len(refs))


def _field(field: str, read: Callable[[], _Read], errors: dict[str, Text]) -> _Read | None:
    """What *read* makes of a field; else None, and what is wrong in *errors* under *field*."""
    try:
        return read()
    except UsageError as exc:
        errors[field] = exc.problem
    except InvalidInput as exc:
        errors[field] = expected(exc)
    return None


def _codes(text: str) -> tuple[tuple[QrCodeRef, ...], int]:
    """The QR field's codes, each once (their merchant still to fill in), and how many were
    typed; too many (counted as the command counts them) is a UsageError."""
    values = _field_values(text, QR_CODE_ID)
    several = len(values) > 1
    refs: list[QrCodeRef] = []
    for value in values:
        if several and not is_url(value) and looks_like_a_mid(value):
            raise a_mid_among_codes(value)
        refs.append(QrCodeRef("", *qr_value(value, named=several)))
    try:
        return distinct_codes(refs), len(values)
    except TooManyLookups as exc:
        raise UsageError(too_many_codes(exc.count)) from None


def _mid_value(text: str) -> str:
    """The one value typed into the form's merchant number field, its label (if any) removed."""
    values = _field_values(text, MID)
    if len(values) != 1:
        raise UsageError(
            T("Expected one merchant number, for example {example}.", example=MID_EXAMPLE),
            field=MID,
        )
    return values[0]


def _field_values(text: str, field: str) -> list[str]:
    """Every value typed into the form's *field* (at least one: an empty field reads as one
    empty value, which the check then says is not what is expected)."""
    values = read_values(normalise(text))
    for value in values:
        if value.field not in (None, field):
            raise UsageError(
                T(
                    "That is labelled as the {label}; this field takes the {field}.",
                    label=FIELD_NAMES[value.field],
                    field=FIELD_NAMES[field],
                ),
                field=field,
            )
    return [value.text for value in values] or [""]
