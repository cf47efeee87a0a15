"""Pure: a chat message's text -> the merchant number and QR code it shows, to fill in the
form that the message shortcut opens. Only what is certain: nothing rather than a guess.

May touch the gateway's checks, the QR URL shapes and the other reading modules; nothing of
Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

import re
from typing import Any

from bot.gateway.errors import InvalidInput
from bot.gateway.ids import check_mid, check_qr_code_id
from bot.qr_urls import NEW_SHAPE_HOST, OLD_SHAPE_HOSTS, OLD_SHAPE_PATH, pattern
from bot.slack.reading.checked import with_scheme
from bot.slack.reading.pasted import (
    AROUND_A_VALUE,
    LABEL_WORDS,
    MID,
    QR_CODE_ID,
    WRAPPERS,
    field_of,
    normalise,
    qr_code_id_from_url,
)

_URL_IN_TEXT = re.compile(
    rf"(?:https?://)?(?:{pattern(frozenset({NEW_SHAPE_HOST}))}/\d{{8}}/[0-9A-Za-z]+"
    rf"|(?:{pattern(OLD_SHAPE_HOSTS)}){re.escape(OLD_SHAPE_PATH)}\?id=[0-9A-Za-z]+)",
    re.IGNORECASE,
)
_MID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_MARKUP_OR_URL = re.compile(r"<[^<>]*>|(?<!\S)\S*://\S*")  # from a word start: linear
# In prose a label counts only with a separator (退款商户 898… is not 商户 898…),
# and its value must hold a digit, so "mid: see below" or "merchant: merchants" find nothing.
_LABELLED_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-z_])(?P<label>{LABEL_WORDS})\s*[:=]\s*"
    rf"[{re.escape(WRAPPERS + AROUND_A_VALUE)}]*"
    r"(?P<value>[0-9A-Za-z]*\d[0-9A-Za-z]*)(?![0-9A-Za-z])",
    re.IGNORECASE,
)


def find_in_message(text: str) -> tuple[str | None, str | None]:
    """(mid, QR code) found in a message's text, for pre-filling the form.

    The mid is the one labelled value (商户号：…) or else a lone 15-digit number; the QR
    code is the first QR URL (whole: its host says which environment it is from) or else
    the one labelled QR code id.
    """
    text = normalise(text).replace("&amp;", "&")
    url = _URL_IN_TEXT.search(text)
    without_qr_urls = _URL_IN_TEXT.sub(" ", text)
    labelled = _labelled_in_text(_MARKUP_OR_URL.sub(" ", without_qr_urls))
    url_text = with_scheme(url.group(0)) if url else None
    # A URL whose id no gateway would take (3,000 letters, say) fills nothing in.
    if url_text is not None and not _valid_qr_code_id(qr_code_id_from_url(url_text)):
        url_text = None
    qr_code = url_text or _only(labelled[QR_CODE_ID])
    if labelled[MID]:
        return _only(labelled[MID]), qr_code
    # A labelled QR code id may be 15 digits too: it is not a merchant number.
    numbers = set(_MID_IN_TEXT.findall(without_qr_urls)) - labelled[QR_CODE_ID]
    return _only(numbers), qr_code


def _valid_qr_code_id(value: str | None) -> bool:
    try:
        check_qr_code_id(value or "")
    except InvalidInput:
        return False
    return True


def _labelled_in_text(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {MID: set(), QR_CODE_ID: set()}
    for match in _LABELLED_IN_TEXT.finditer(text):
        field = field_of(match["label"])
        check = check_mid if field == MID else check_qr_code_id
        try:
            found[field].add(check(match["value"]))
        except InvalidInput:
            continue
    return found


def _only(values: set[str]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


MESSAGE_CHARS = 40_000  # a Slack message holds at most this much text


def message_text(message: dict[str, Any]) -> str:
    """A message's text plus its attachments' text: where a pasted QR URL can be.

    At most MESSAGE_CHARS of it (a Slack message holds 40,000): the scan runs
    before the ack's 3 seconds are over, so it must stay short whatever is sent.
    """
    parts = [str(message.get("text", ""))]
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict):
            parts += [str(attachment.get(key, "")) for key in ("text", "fallback", "title_link")]
    return "\n".join(parts)[:MESSAGE_CHARS]
