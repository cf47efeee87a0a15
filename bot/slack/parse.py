"""Pure: what a person typed (or a button carried) -> a lookup, a help request, or a usage error.

Tolerant of what people type: full-width characters and spaces (Chinese input
methods), zero-width characters, commas, either order when unambiguous, a
pasted QR URL (bare, or as Slack delivers it: ``<https://…>`` or ``<https://…|label>``),
and text pasted from a chat: labels (``商户号：…``, ``qrCodeId=…``), quotes and
brackets around an id, sentence punctuation. Never guessing: what stays
ambiguous is refused, since a wrong guess sends the wrong code to the gateway.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.gateway.errors import InvalidInput
from bot.gateway.ids import (
    MID_EXAMPLE,
    QR_CODE_ID_EXAMPLE,
    check_mid,
    check_qr_code_id,
)

COMMAND_EXAMPLE = f"/qrinfo {MID_EXAMPLE} {QR_CODE_ID_EXAMPLE}"
URL_EXAMPLE = f"https://qr.95516.com/48020000/{QR_CODE_ID_EXAMPLE}"
LABELLED_EXAMPLE = f"商户号：{MID_EXAMPLE}，二维码：{QR_CODE_ID_EXAMPLE}"
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?", "帮助"})

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# 。 too: Chinese sentences run on without a space after it.
_SEPARATORS = re.compile(r"[\s,;、，；。]+")
# Brackets and curly quotes people wrap ids in; neither an id nor a QR URL can
# hold one. After NFKC, （）［］ are already ASCII. Not < >: Slack's link syntax.
_WRAPPERS = "()[]【】《》「」『』“”‘’`"
_WRAPPER = re.compile(rf"[{re.escape(_WRAPPERS)}]+")
# A token boundary where a non-ASCII (Chinese) letter meets a digit: 商户号898340149000005
# is a label and its number, as no id holds such a letter.
_CHINESE_NEXT_TO_DIGIT = re.compile(r"(?<=[^\W\d_A-Za-z])(?=[0-9])|(?<=[0-9])(?=[^\W\d_A-Za-z])")
_SPACE_BEFORE_LABEL_SEPARATOR = re.compile(r"\s+(?=[:=])")
# Stripped from either end of a value: ASCII quotes (one character opens and
# closes) and sentence punctuation; a QR URL may hold dots, but not at its end.
_AROUND_A_VALUE = "\"'.!"
_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|[^<>]*)?>")
_NEW_SHAPE_PATH = re.compile(r"/\d{8}/([0-9A-Za-z]+)/?")
_OLD_SHAPE_HOST = re.compile(r"qr(-test[123])?\.chinaums\.com")


@dataclass(frozen=True, slots=True)
class Lookup:
    """A merchant number and a QR code id that passed every local check."""

    mid: str
    qr_code_id: str


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """The person asked for help (or typed nothing)."""


class UsageError(Exception):
    """Input we reject locally. ``problem`` says what is wrong; the card adds the example.

    ``field`` names the value at fault (``mid`` or ``qrCodeId``) when it is one.
    """

    def __init__(self, problem: str, *, field: str | None = None) -> None:
        self.problem = problem
        self.field = field
        super().__init__(problem)


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
    if host == "qr.95516.com":
        match = _NEW_SHAPE_PATH.fullmatch(parts.path)
        return match.group(1) if match else None
    if _OLD_SHAPE_HOST.fullmatch(host) and parts.path == "/bills/qrCode.do":
        ids = parse_qs(parts.query).get("id", [])
        return ids[0] if len(ids) == 1 else None
    return None


def _is_url(token: str) -> bool:
    return "://" in token or token.lower().startswith(("qr.95516.com", "qr.chinaums.com"))


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
        tokens += [token.strip(_WRAPPERS)] if "://" in token else _WRAPPER.split(token)
    return [t for t in tokens if t]


MID = "mid"
QR_CODE_ID = "qrCodeId"
_FIELD_NAMES = {MID: "merchant number", QR_CODE_ID: "QR code id"}
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
_LABEL_WORDS = "|".join(
    r"(?<![^\W\d_])码" if word == "码" else re.escape(word)
    for word in sorted(_FIELD_OF_LABEL, key=len, reverse=True)
)
_KNOWN_LABEL = re.compile(
    rf"(?P<label>{_LABEL_WORDS})(?:(?P<sep>[:=])(?P<value>.*))?", re.IGNORECASE | re.DOTALL
)
_ANY_LABEL = re.compile(r"(?P<label>[^\W\d]+)[:=]")
# A token that begins as a URL (and not as "链接：https://…", an unknown label before one).
_URL_START = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|qr(?:-test[123])?\.(?:95516|chinaums)\.com)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Value:
    """One value as typed; *field* is None when no label said which it is."""

    field: str | None
    text: str


def _values(text: str) -> list[_Value]:
    """The values in *text*, each with the field its label gave it, in order."""
    values: list[_Value] = []
    waiting: str | None = None  # a label whose value is the next token
    for raw in _tokens(text):
        token = _unwrap(raw).strip(_AROUND_A_VALUE)
        if not token:
            continue
        label, value = _read_token(token)
        if waiting is not None:
            if label is not None or not value:
                raise _no_value(waiting)
            values.append(_Value(_field_of(waiting), value))
            waiting = None
        elif label is not None and not value:
            waiting = label
        else:
            values.append(_Value(None if label is None else _field_of(label), value))
    if waiting is not None:
        raise _no_value(waiting)
    return values


def _read_token(token: str) -> tuple[str | None, str]:
    """(label or None, value) of one token; the value is "" after a lone label."""
    known = _KNOWN_LABEL.fullmatch(token)
    if known and known["sep"]:
        value = known["value"].strip(_AROUND_A_VALUE)
        if not _is_url(value) and re.search(r"[:=]", value):
            raise UsageError(
                f"`{token[:60]}` runs two values together; put a space between them, "
                f"like {LABELLED_EXAMPLE}.",
                field=_field_of(known["label"]),
            )
        return known["label"], value
    if known and known["label"] != "码":
        return known["label"], ""  # its value is the next token
    if _URL_START.match(token):
        return None, token
    unknown = _ANY_LABEL.match(token)
    if unknown:
        raise UsageError(
            f"`{unknown['label'][:20]}` is not a label the bot knows: write 商户号 (or mid) "
            f"before the merchant number and 二维码 (or qrCodeId) before the QR code id, "
            f"like {LABELLED_EXAMPLE}."
        )
    return None, token


def _field_of(label: str) -> str:
    return _FIELD_OF_LABEL[label.casefold()]


def _no_value(label: str) -> UsageError:
    return UsageError(
        f"`{label}` has no value after it; write it like {LABELLED_EXAMPLE}.",
        field=_field_of(label),
    )


def parse_command(text: str) -> Lookup | HelpRequest:
    """Read ``/qrinfo`` arguments. Raises UsageError for what no gateway would accept."""
    text = normalise(text)
    if text.lower() in HELP_WORDS:
        return HelpRequest()
    values = _values(text)
    if len(values) > 2:
        raise UsageError(
            f"That is {len(values)} arguments; /qrinfo takes two: "
            "the merchant number and the QR code id (or its URL)."
        )
    urls = [v.text for v in values if v.field is None and _is_url(v.text)]
    if len(urls) > 1:
        raise UsageError("That is two URLs; give the merchant number and one QR code URL.")
    mids = [v.text for v in values if v.field == MID]
    qr_code_ids = [_qr_code_id(v.text) for v in values if v.field == QR_CODE_ID]
    qr_code_ids += [_id_from_url_token(url) for url in urls]
    unlabelled = [v.text for v in values if v.field is None and not _is_url(v.text)]
    if len(mids) > 1 or len(qr_code_ids) > 1:
        field = MID if len(mids) > 1 else QR_CODE_ID
        raise UsageError(
            f"That gives two values for the {_FIELD_NAMES[field]}; "
            "give one merchant number and one QR code id.",
            field=field,
        )
    if not mids and not qr_code_ids:
        if not unlabelled:
            raise UsageError("There is no merchant number or QR code id in that.")
        if len(unlabelled) == 1:
            raise UsageError(
                "That is one argument; /qrinfo needs the merchant number and the QR code id."
            )
        first, second = unlabelled
        # Merchant numbers are at most 15 characters and QR code ids usually 26: when
        # only the second fits a mid, the two were typed the other way round.
        if len(first) > 15 >= len(second):
            first, second = second, first
        return lookup(first, second)
    # One value is placed by its label or URL: an unlabelled one can only be the other.
    mid = mids[0] if mids else (unlabelled.pop() if unlabelled else None)
    qr_code_id = qr_code_ids[0] if qr_code_ids else (unlabelled.pop() if unlabelled else None)
    if mid is None:
        raise UsageError(
            "A QR code alone is not enough: the gateway also needs the merchant number (mid)."
        )
    if qr_code_id is None:
        raise UsageError(
            "A merchant number alone is not enough: "
            "the gateway also needs the QR code id (or its URL)."
        )
    return lookup(mid, qr_code_id)


def _qr_code_id(value: str) -> str:
    """A QR code id as typed, or the one in a QR URL."""
    return _id_from_url_token(value) if _is_url(value) else value


def _with_scheme(url: str) -> str:
    """A pasted ``qr.95516.com/…`` without its scheme reads as https."""
    return url if "://" in url else "https://" + url


def _id_from_url_token(token: str) -> str:
    qr_code_id = qr_code_id_from_url(_with_scheme(token))
    if qr_code_id is None:
        raise UsageError(
            "That URL is not a Chinaums QR code URL. Expected "
            f"{URL_EXAMPLE} or https://qr.chinaums.com/bills/qrCode.do?id=…",
            field=QR_CODE_ID,
        )
    return qr_code_id


def parse_form(mid_text: str, qr_text: str) -> Lookup:
    """Read the lookup form's two fields with the command's rules.

    Raises FormErrors with a message for each field at fault, so both can be
    shown inline at once.
    """
    errors: dict[str, str] = {}
    mid = qr_code_id = ""
    try:
        mid = check_mid(_field_value(mid_text, MID))
    except UsageError as exc:
        errors[MID] = exc.problem
    except InvalidInput as exc:
        errors[MID] = f"Expected {exc.expected}, for example {MID_EXAMPLE}."
    try:
        qr_code_id = check_qr_code_id(_qr_code_id(_field_value(qr_text, QR_CODE_ID)))
    except UsageError as exc:
        errors[QR_CODE_ID] = exc.problem
    except InvalidInput as exc:
        errors[QR_CODE_ID] = f"Expected {exc.expected}, for example {QR_CODE_ID_EXAMPLE}."
    if errors:
        raise FormErrors(errors)
    return Lookup(mid=mid, qr_code_id=qr_code_id)


_ONE_VALUE_EXPECTED = {
    MID: f"Expected one merchant number, for example {MID_EXAMPLE}.",
    QR_CODE_ID: f"Expected one QR code id or URL, for example {QR_CODE_ID_EXAMPLE}.",
}


def _field_value(text: str, field: str) -> str:
    """The one value typed into the form's *field*, its label (if any) removed."""
    values = _values(normalise(text))
    if not values:
        return ""  # the check then says what is expected
    if len(values) != 1:
        raise UsageError(_ONE_VALUE_EXPECTED[field], field=field)
    [value] = values
    if value.field not in (None, field):
        raise UsageError(
            f"That is labelled as the {_FIELD_NAMES[value.field]}; "
            f"this field takes the {_FIELD_NAMES[field]}.",
            field=field,
        )
    return value.text


class FormErrors(Exception):
    """Field name (``mid``, ``qrCodeId``) -> what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


_URL_IN_TEXT = re.compile(
    r"(?:https?://)?(?:qr\.95516\.com/\d{8}/[0-9A-Za-z]+"
    r"|qr(?:-test[123])?\.chinaums\.com/bills/qrCode\.do\?id=[0-9A-Za-z]+)",
    re.IGNORECASE,
)
_MID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])")
_MARKUP_OR_URL = re.compile(r"<[^<>]*>|(?<!\S)\S*://\S*")  # from a word start: linear
# In prose a label counts only with a separator (退款商户 898… is not 商户 898…),
# and its value must hold a digit, so "mid: see below" or "merchant: merchants" find nothing.
_LABELLED_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-z_])(?P<label>{_LABEL_WORDS})\s*[:=]\s*"
    rf"[{re.escape(_WRAPPERS + _AROUND_A_VALUE)}]*"
    r"(?P<value>[0-9A-Za-z]*\d[0-9A-Za-z]*)(?![0-9A-Za-z])",
    re.IGNORECASE,
)


def find_in_message(text: str) -> tuple[str | None, str | None]:
    """(mid, qrCodeId) found in a message's text, for pre-filling the form.

    The mid is the one labelled value (商户号：…) or else a lone 15-digit number;
    the qrCodeId is that of the first QR URL or else the one labelled value.
    """
    text = normalise(text).replace("&amp;", "&")
    url = _URL_IN_TEXT.search(text)
    without_qr_urls = _URL_IN_TEXT.sub(" ", text)
    labelled = _labelled_in_text(_MARKUP_OR_URL.sub(" ", without_qr_urls))
    if url:
        qr_code_id = qr_code_id_from_url(_with_scheme(url.group(0)))
    else:
        qr_code_id = _only(labelled[QR_CODE_ID])
    if labelled[MID]:
        return _only(labelled[MID]), qr_code_id
    # A labelled QR code id may be 15 digits too: it is not a merchant number.
    numbers = set(_MID_IN_TEXT.findall(without_qr_urls)) - labelled[QR_CODE_ID]
    return _only(numbers), qr_code_id


def _labelled_in_text(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {MID: set(), QR_CODE_ID: set()}
    for match in _LABELLED_IN_TEXT.finditer(text):
        field = _field_of(match["label"])
        check = check_mid if field == MID else check_qr_code_id
        try:
            found[field].add(check(match["value"]))
        except InvalidInput:
            continue
    return found


def _only(values: set[str]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


def encode_button_value(request: Lookup) -> str:
    """What a card's buttons carry: the lookup, as compact JSON. Never who clicked or shared."""
    return json.dumps({"mid": request.mid, "qr": request.qr_code_id}, separators=(",", ":"))


def decode_button_value(value: str) -> Lookup:
    """A button's value back to a lookup, checked like user input: never trusted.

    Cards posted before this version also carry ``by`` (who shared them); it is
    ignored: who acts is who the verified payload says.
    """
    try:
        data = json.loads(value)
    except (ValueError, TypeError):
        raise UsageError("That button's data is not readable.") from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("mid"), str)
        or not isinstance(data.get("qr"), str)
    ):
        raise UsageError("That button's data is not a lookup.")
    return lookup(data["mid"], data["qr"])


def lookup(mid: str, qr_code_id: str) -> Lookup:
    """A Lookup from two values, checked as the gateway client checks them."""
    try:
        return Lookup(
            mid=check_mid(normalise(mid)), qr_code_id=check_qr_code_id(normalise(qr_code_id))
        )
    except InvalidInput as exc:
        shown = mid if exc.field == "mid" else qr_code_id
        raise UsageError(f"`{shown[:40]}` is not {exc.expected}.", field=exc.field) from None
