"""Pure: several QR codes at once (a batch), read from what people type.

The limit and its one check are the service's (bot.service.batch_limit), used by every
path: the command's list and the form's as typed (here and in form.py), the same lists once
routed (listeners/listening.py), and look_up_many itself.

May touch the service's limit, the gateway's checks, i18n and the other reading modules;
nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.gateway.config import Environment
from bot.gateway.ids import MID_EXAMPLE, QR_CODE_ID_EXAMPLE, QrCodeRef
from bot.i18n import T, Text
from bot.service.batch_limit import MAX_BATCH, TooManyLookups, check_batch_size
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


def too_many_codes(count: int) -> Text:
    """What the form (and a list too long once routed) says past the limit."""
    return T(
        "That is {count} QR codes; look up at most {most} at once.", count=count, most=MAX_BATCH
    )


def distinct_codes(refs: Iterable[QrCodeRef]) -> tuple[QrCodeRef, ...]:
    """*refs* each once (one id for one gateway), in the order typed; TooManyLookups when
    they are too many. An id and its URL count once here: whether they are one lookup is
    known once routed (the service drops one when both go to one gateway)."""
    distinct: dict[tuple[Environment | None, str], QrCodeRef] = {}
    for ref in refs:
        distinct.setdefault((ref.env, ref.qr_code_id), ref)
    check_batch_size(len({ref.qr_code_id for ref in distinct.values()}))
    return tuple(distinct.values())


def read_batch(values: list[Value]) -> BatchRequest | QrCodeRef:
    """``<mid> <id or URL> <id or URL> …``: the merchant number labelled, or first."""
    mid = _the_mid(values)
    codes = [value for value in values if value is not mid]
    try:
        refs = distinct_codes(_code_refs(mid.text, codes))
    except TooManyLookups as exc:
        raise UsageError(
            T(
                "That is {count} QR codes; /qrinfo looks up at most {most} at once. "
                "Split the list, like {example}",
                count=exc.count,
                most=MAX_BATCH,
                example=BATCH_EXAMPLE,
            )
        ) from None
    if len(refs) == 1:  # one code, typed more than once
        return refs[0]
    return BatchRequest(refs, duplicates=len(codes) - len(refs))


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
