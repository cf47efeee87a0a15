"""Pure: reading text people paste: normalising, splitting, QR URLs, and chat labels.

Tolerant of what people type: full-width characters and spaces (Chinese input
methods), zero-width characters, commas, quotes and brackets, labels such as
商户号：… and 二维码：…, and a pasted QR URL (bare, or as Slack delivers it:
``<https://…>`` or ``<https://…|label>``). Never guessing: what stays ambiguous
is a UsageError.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.gateway.config import Environment
from bot.gateway.ids import MID_EXAMPLE, QR_CODE_ID_EXAMPLE, QrCodeRef
from bot.i18n import N_, T, Text
from bot.qr_urls import (
    NEW_SHAPE_HOST,
    OLD_SHAPE_HOSTS,
    OLD_SHAPE_PATH,
    QR_HOSTS,
    env_of_host,
    pattern,
)

LABELLED_EXAMPLE = f"商户号：{MID_EXAMPLE}，二维码：{QR_CODE_ID_EXAMPLE}"

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# 。 too: Chinese sentences run on without a space after it.
_SEPARATORS = re.compile(r"[\s,;、，；。]+")
# Brackets and curly quotes people wrap ids in; neither an id nor a QR URL can
# hold one. After NFKC, （）［］ are already ASCII. Not < >: Slack's link syntax.
WRAPPERS = "()[]【】《》「」『』“”‘’`"
_WRAPPER = re.compile(rf"[{re.escape(WRAPPERS)}]+")
# A token boundary where a non-ASCII (Chinese) letter meets a digit: 商户号898340149000005
# is a label and its number, as no id holds such a letter.
_CHINESE_NEXT_TO_DIGIT = re.compile(r"(?<=[^\W\d_A-Za-z])(?=[0-9])|(?<=[0-9])(?=[^\W\d_A-Za-z])")
_SPACE_BEFORE_LABEL_SEPARATOR = re.compile(r"\s+(?=[:=])")
# Stripped from either end of a value: ASCII quotes (one character opens and
# closes) and sentence punctuation; a QR URL may hold dots, but not at its end.
AROUND_A_VALUE = "\"'.!"
_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")
_NEW_SHAPE_PATH = re.compile(r"/\d{8}/([0-9A-Za-z]+)/?")


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """The person asked for help (or typed nothing)."""


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """Several QR codes of one merchant, looked up at once: *refs* distinct, in the order
    typed; *duplicates* how many repeats were dropped."""

    refs: tuple[QrCodeRef, ...]
    duplicates: int = 0


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """The person asked for the bot's status (operators only)."""


class UsageError(Exception):
    """Input we reject locally. ``problem`` says what is wrong; the card adds the example.

    ``problem`` is a Text, put into the reader's language where it is shown (``str()``
    of the error is the English, for logs). ``field`` names the value at fault
    (``mid`` or ``qrCodeId``) when it is one.
    """

    def __init__(self, problem: Text, *, field: str | None = None) -> None:
        self.problem = problem
        self.field = field
        super().__init__(str(problem))


def normalise(text: str) -> str:
    """NFKC (full-width -> ASCII, U+3000 -> space) and no zero-width characters."""
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).strip()


def qr_code_id_from_url(url: str) -> str | None:
    """The qrCodeId in either live QR URL shape, or None when *url* is neither."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return None
    if host == NEW_SHAPE_HOST:
        match = _NEW_SHAPE_PATH.fullmatch(parts.path)
        return match.group(1) if match else None
    if host in OLD_SHAPE_HOSTS and parts.path == OLD_SHAPE_PATH:
        ids = parse_qs(parts.query).get("id", [])
        return ids[0] if len(ids) == 1 else None
    return None


def env_of_url(url: str) -> Environment | None:
    """The environment a QR URL's host belongs to: qr-test1/2/3.chinaums.com are the
    provider's test environment, qr.chinaums.com and qr.95516.com production."""
    try:
        return env_of_host(urlsplit(url).hostname or "")
    except ValueError:
        return None


_HOST_PREFIXES = tuple(f"{host}/" for host in QR_HOSTS)  # a QR URL pasted without its scheme


def is_url(token: str) -> bool:
    return "://" in token or token.lower().startswith(_HOST_PREFIXES)


def _unwrap(token: str) -> str:
    match = _SLACK_LINK.fullmatch(token)
    return match.group(1) if match else token


def _tokens(text: str) -> list[str]:
    # A Slack link's label may contain spaces: unwrap links before splitting.
    text = _SLACK_LINK.sub(lambda m: " " + m.group(1) + " ", text)
    # Slack delivers &, < and > escaped; a pasted old-shape URL may carry &amp;.
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    # "商户号 ：898…" reads as "商户号:898…"; a space after the separator splits,
    # and the label then takes the next token.
    text = _SPACE_BEFORE_LABEL_SEPARATOR.sub("", text)
    text = _CHINESE_NEXT_TO_DIGIT.sub(" ", text)
    tokens: list[str] = []
    for token in _SEPARATORS.split(text):
        # Wrappers split too (【898…】【3194…】), but only trim a URL: a foreign one may hold ( ).
        tokens += [token.strip(WRAPPERS)] if "://" in token else _WRAPPER.split(token)
    return [t for t in tokens if t]


MID = "mid"
QR_CODE_ID = "qrCodeId"
FIELD_NAMES = {MID: Text(N_("merchant number")), QR_CODE_ID: Text(N_("QR code id"))}
# Compared case-folded. 码 counts only right before a separator and not after
# another letter: on its own it is too vague, and 商户码 is a merchant's code.
_FIELD_OF_LABEL = {
    **dict.fromkeys(
        ("商户号", "商户编号", "商户id", "商户", "mid", "merchant", "merchantid", "merchantno"),
        MID,
    ),
    **dict.fromkeys(("merchant_id", "merchant_no"), MID),
    **dict.fromkeys(
        ("二维码", "二维码id", "二维码编号", "qrcodeid", "qrcode", "qr", "码"), QR_CODE_ID
    ),
    **dict.fromkeys(("qr_code_id",), QR_CODE_ID),
}
# Longest first, so 商户号 is not read as 商户 + 号; 码 not after a letter (收款码, 商户码).
LABEL_WORDS = "|".join(
    r"(?<![^\W\d_])码" if word == "码" else re.escape(word)
    for word in sorted(_FIELD_OF_LABEL, key=len, reverse=True)
)
_KNOWN_LABEL = re.compile(
    rf"(?P<label>{LABEL_WORDS})(?:(?P<sep>[:=])(?P<value>.*))?", re.IGNORECASE | re.DOTALL
)
_ANY_LABEL = re.compile(r"(?P<label>[^\W\d]+)[:=]")
# A token that begins as a URL (and not as "链接：https://…", an unknown label before one).
_URL_START = re.compile(rf"(?:[a-z][a-z0-9+.-]*://|{pattern(QR_HOSTS)})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Value:
    """One value as typed; *field* is None when no label said which it is."""

    field: str | None
    text: str


def read_values(text: str) -> list[Value]:
    """The values in *text*, each with the field its label gave it, in order."""
    values: list[Value] = []
    waiting: str | None = None  # a label whose value is the next token
    for raw in _tokens(text):
        token = _unwrap(raw).strip(AROUND_A_VALUE)
        if not token:
            continue
        label, value = _read_token(token)
        if waiting is not None:
            if label is not None or not value:
                raise _no_value(waiting)
            values.append(Value(field_of(waiting), value))
            waiting = None
        elif label is not None and not value:
            waiting = label
        else:
            values.append(Value(None if label is None else field_of(label), value))
    if waiting is not None:
        raise _no_value(waiting)
    return values


def _read_token(token: str) -> tuple[str | None, str]:
    """(label or None, value) of one token; the value is "" after a lone label."""
    known = _KNOWN_LABEL.fullmatch(token)
    if known and known["sep"]:
        value = known["value"].strip(AROUND_A_VALUE)
        if not is_url(value) and re.search(r"[:=]", value):
            raise UsageError(
                T(
                    "`{token}` runs two values together; put a space between them, like {example}.",
                    token=token[:60],
                    example=LABELLED_EXAMPLE,
                ),
                field=field_of(known["label"]),
            )
        return known["label"], value
    if known and known["label"] != "码":
        return known["label"], ""  # its value is the next token
    if _URL_START.match(token):
        return None, token
    unknown = _ANY_LABEL.match(token)
    if unknown:
        raise UsageError(
            T(
                "`{label}` is not a label the bot knows: write 商户号 (or mid) "
                "before the merchant number and 二维码 (or qrCodeId) before the QR code id, "
                "like {example}.",
                label=unknown["label"][:20],
                example=LABELLED_EXAMPLE,
            )
        )
    return None, token


def field_of(label: str) -> str:
    return _FIELD_OF_LABEL[label.casefold()]


def _no_value(label: str) -> UsageError:
    return UsageError(
        T("`{label}` has no value after it; write it like {example}.", label=label,
          example=LABELLED_EXAMPLE),
        field=field_of(label),
    )  # fmt: skip
