"""Pure: the words of a /qrinfo command -> a lookup, several (a batch), a help or status
request, or a usage error. A first word (``test``, ``生产`` …) or a pasted URL's host
names the gateway's environment.

Tolerant of what people type: full-width characters and spaces (Chinese input
methods), zero-width characters, commas, either order when unambiguous, a
pasted QR URL (bare, or as Slack delivers it: ``<https://…>`` or ``<https://…|label>``),
and text pasted from a chat: labels (``商户号：…``, ``qrCodeId=…``), quotes and
brackets around an id, sentence punctuation. Never guessing: what stays
ambiguous is refused, since a wrong guess sends the wrong code to the gateway.

May touch the gateway's checks, i18n, the environments' names and the other reading
modules; nothing of Bolt, aiohttp or the Web API (an import contract). ``qrinfo query``
reads its words here too.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.gateway.config import Environment
from bot.gateway.ids import MID_EXAMPLE, QR_CODE_ID_EXAMPLE, QrCodeRef
from bot.i18n import T
from bot.slack.names import ENV_NAMES
from bot.slack.reading.batch import read_batch
from bot.slack.reading.checked import checked_ref, env_of, id_from_url_token, qr_code_id
from bot.slack.reading.pasted import (
    FIELD_NAMES,
    MID,
    QR_CODE_ID,
    BatchRequest,
    HelpRequest,
    StatusRequest,
    UsageError,
    is_url,
    normalise,
    read_values,
)

COMMAND_EXAMPLE = f"/qrinfo {MID_EXAMPLE} {QR_CODE_ID_EXAMPLE}"
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?", "帮助", "幫助"})
STATUS_WORDS = frozenset({"status", "状态", "狀態"})
# Around a single word, as input methods and habits add them: 帮助。 「帮助」 "help"
_WORD_MARKS = " \t.。．!！?？「」『』\"'“”‘’"


# A first word naming the gateway: /qrinfo test …, /qrinfo 生产 …
ENV_WORDS: dict[str, Environment] = {
    "test": "test",
    "测试": "test",
    "測試": "test",
    "prod": "prod",
    "production": "prod",
    "生产": "prod",
    "生產": "prod",
}
# An ASCII word ends where letters and digits do (not `testing`); a Chinese one may touch
# what follows (测试898…).
_ENV_WORD = re.compile(
    rf"(?P<word>{'|'.join(w for w in ENV_WORDS if w.isascii())})(?![0-9A-Za-z_])[\s:：,，]*"
    rf"|(?P<chinese>{'|'.join(w for w in ENV_WORDS if not w.isascii())})[\s:：,，]*",
    re.IGNORECASE,
)


def parse_command(text: str) -> QrCodeRef | BatchRequest | HelpRequest | StatusRequest:
    """Read ``/qrinfo`` arguments: one lookup, or several QR codes of one merchant.

    Raises UsageError for what no gateway would accept.
    """
    text = normalise(text)
    word, typed, text = _env_word(text)
    parsed = _parse_words(text)
    if word is None:
        return parsed
    if isinstance(parsed, QrCodeRef):
        return _in_env(parsed, word, typed)
    if isinstance(parsed, BatchRequest):
        refs = tuple(_in_env(ref, word, typed, named=True) for ref in parsed.refs)
        return replace(parsed, refs=refs)
    return parsed


def _in_env(ref: QrCodeRef, word: Environment, typed: str, *, named: bool = False) -> QrCodeRef:
    """*ref* on the gateway a first word asked for, unless its URL says another (in a list,
    *named*: which one)."""
    if ref.env not in (None, word) and named:
        raise UsageError(
            T(
                "`{word}` asks for {asked}, but the URL of `{id}` is a code from {host}; "
                "leave the word out, or give codes from {asked}.",
                word=typed,
                asked=ENV_NAMES[word],
                id=ref.qr_code_id,
                host=ENV_NAMES[ref.env],
            )
        )
    if ref.env not in (None, word):
        raise UsageError(
            T(
                "`{word}` asks for {asked}, but that URL is a code from {host}; "
                "leave the word out, or give a code from {asked}.",
                word=typed,
                asked=ENV_NAMES[word],
                host=ENV_NAMES[ref.env],
            )
        )
    return replace(ref, env=word)


def _env_word(text: str) -> tuple[Environment | None, str, str]:
    """The environment a first word names, the word as typed and the rest; or None, "" and
    the text as it was."""
    match = _ENV_WORD.match(text)
    if match is None:
        return None, "", text
    word = match["word"] or match["chinese"]
    return ENV_WORDS[word.lower()], word, text[match.end() :]


def _parse_words(text: str) -> QrCodeRef | BatchRequest | HelpRequest | StatusRequest:
    # Marks around a word are dropped (帮助。), but marks alone are not a word.
    word = text.lower().strip(_WORD_MARKS) or text.lower()
    if word in HELP_WORDS:
        return HelpRequest()
    if word in STATUS_WORDS:
        return StatusRequest()
    values = read_values(text)
    if len(values) > 2:
        return read_batch(values)
    urls = [v.text for v in values if v.field is None and is_url(v.text)]
    if len(urls) > 1:
        raise UsageError(T("That is two URLs; give the merchant number and one QR code URL."))
    mids = [v.text for v in values if v.field == MID]
    qr_code_ids = [qr_code_id(v.text) for v in values if v.field == QR_CODE_ID]
    qr_code_ids += [id_from_url_token(url) for url in urls]
    env = env_of(urls + [v.text for v in values if v.field == QR_CODE_ID and is_url(v.text)])
    unlabelled = [v.text for v in values if v.field is None and not is_url(v.text)]
    if len(mids) > 1 or len(qr_code_ids) > 1:
        field = MID if len(mids) > 1 else QR_CODE_ID
        raise UsageError(
            T(
                "That gives two values for the {field}; "
                "give one merchant number and one QR code id.",
                field=FIELD_NAMES[field],
            ),
            field=field,
        )
    if not mids and not qr_code_ids:
        return _by_length(unlabelled)
    # One value is placed by its label or URL: an unlabelled one can only be the other.
    mid = mids[0] if mids else (unlabelled.pop() if unlabelled else None)
    qr_code = qr_code_ids[0] if qr_code_ids else (unlabelled.pop() if unlabelled else None)
    return replace(_both(mid, qr_code), env=env)


def _by_length(unlabelled: list[str]) -> QrCodeRef:
    """Two values with no label or URL: in order, or swapped when only that fits."""
    if not unlabelled:
        raise UsageError(T("There is no merchant number or QR code id in that."))
    if len(unlabelled) == 1:
        raise UsageError(
            T("That is one argument; /qrinfo needs the merchant number and the QR code id.")
        )
    first, second = unlabelled
    # Merchant numbers are at most 15 characters and QR code ids usually 26: when
    # only the second fits a mid, the two were typed the other way round.
    if len(first) > 15 >= len(second):
        first, second = second, first
    return checked_ref(first, second)


def _both(mid: str | None, qr_code: str | None) -> QrCodeRef:
    if mid is None:
        raise UsageError(
            T("A QR code alone is not enough: the gateway also needs the merchant number (mid).")
        )
    if qr_code is None:
        raise UsageError(
            T(
                "A merchant number alone is not enough: "
                "the gateway also needs the QR code id (or its URL)."
            )
        )
    return checked_ref(mid, qr_code)
