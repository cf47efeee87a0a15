"""Pure: several QR codes at once (a batch): the command's list, and what the form's
list shares with it.

May touch the service's limit, the gateway's checks, i18n and the other reading modules;
nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.gateway.config import Environment
from bot.gateway.ids import MID_EXAMPLE, QR_CODE_ID_EXAMPLE, QrCodeRef
from bot.i18n import T
from bot.service.lookup import MAX_BATCH
from bot.slack.reading.checked import checked_ref, looks_like_a_mid, qr_value
from bot.slack.reading.pasted import (
    FIELD_NAMES,
    MID,
    QR_CODE_ID,
    BatchRequest,
    UsageError,
    Value,
    is_url,
)

BATCH_EXAMPLE = f"/qrinfo {MID_EXAMPLE} {QR_CODE_ID_EXAMPLE} 31942611251400310000445566"


def read_batch(values: list[Value]) -> BatchRequest | QrCodeRef:
    """``<mid> <id or URL> <id or URL> …``: the merchant number labelled, or first."""
    mid = _the_mid(values)
    codes = [value for value in values if value is not mid]
    refs: dict[tuple[Environment | None, str], QrCodeRef] = {}
    for ref in _code_refs(mid.text, codes):
        refs.setdefault((ref.env, ref.qr_code_id), ref)
    # An id and its URL count once here (the service drops one when both go to one gateway).
    count = len({ref.qr_code_id for ref in refs.values()})
    if count > MAX_BATCH:
        raise UsageError(
            T(
                "That is {count} QR codes; /qrinfo looks up at most {most} at once. "
                "Split the list, like {example}",
                count=count,
                most=MAX_BATCH,
                example=BATCH_EXAMPLE,
            )
        )
    if len(refs) == 1:  # one code, typed more than once
        return next(iter(refs.values()))
    return BatchRequest(tuple(refs.values()), duplicates=len(codes) - len(refs))


def _the_mid(values: list[Value]) -> Value:
    """The value that is the merchant number of a list: the one labelled, or else the first
    (not a QR code's id or URL)."""
    mids = [v for v in values if v.field == MID]
    if len(mids) > 1:
        raise UsageError(
            T(
                "That gives two values for the {field}; several QR codes at once must be "
                "of one merchant, like {example}",
                field=FIELD_NAMES[MID],
                example=BATCH_EXAMPLE,
            ),
            field=MID,
        )
    if mids:
        return mids[0]
    if is_url(values[0].text) or values[0].field == QR_CODE_ID:
        raise UsageError(
            T(
                "Several QR codes at once take the merchant number first, like {example}",
                example=BATCH_EXAMPLE,
            ),
            field=MID,
        )
    return values[0]


def _code_refs(mid: str, codes: list[Value]) -> Iterator[QrCodeRef]:
    """Each of a list's codes as a lookup for merchant *mid*, checked in turn."""
    for value in codes:
        if value.field is None and not is_url(value.text) and looks_like_a_mid(value.text):
            raise a_mid_among_codes(value.text)
        qr_code_id, env = qr_value(value.text, named=True)
        yield checked_ref(mid, qr_code_id, env)


def a_mid_among_codes(text: str) -> UsageError:
    """Real QR code ids are about 26 characters: a merchant number is never sent as one."""
    return UsageError(
        T(
            "`{value}` looks like a merchant number; several QR codes at once must "
            "be of one merchant, its number first, like {example}",
            value=text[:40],
            example=BATCH_EXAMPLE,
        ),
        field=QR_CODE_ID,
    )
