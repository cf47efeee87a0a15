"""Pure: what a person typed (or a button carried) -> a lookup, a help request, or a usage error.

Tolerant of what people type: full-width characters and spaces (Chinese input
methods), zero-width characters, commas, either order when unambiguous, and a
pasted QR URL (bare, or as Slack delivers it: ``<https://…>`` or ``<https://…|label>``).
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
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?", "帮助"})

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SEPARATORS = re.compile(r"[\s,;、，；]+")
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
    return [t for t in _SEPARATORS.split(text) if t]


def parse_command(text: str) -> Lookup | HelpRequest:
    """Read ``/qrinfo`` arguments. Raises UsageError for what no gateway would accept."""
    text = normalise(text)
    if text.lower() in HELP_WORDS:
        return HelpRequest()
    tokens = [_unwrap(t) for t in _tokens(text)]
    if len(tokens) > 2:
        raise UsageError(
            f"That is {len(tokens)} arguments; /qrinfo takes two: "
            "the merchant number and the QR code id (or its URL)."
        )
    urls = [t for t in tokens if _is_url(t)]
    if len(urls) > 1:
        raise UsageError("That is two URLs; give the merchant number and one QR code URL.")
    if urls:
        qr_code_id = _id_from_url_token(urls[0])
        others = [t for t in tokens if t is not urls[0]]
        if not others:
            raise UsageError(
                "A QR code alone is not enough: the gateway also needs the merchant number (mid)."
            )
        return lookup(others[0], qr_code_id)
    if len(tokens) == 1:
        raise UsageError(
            "That is one argument; /qrinfo needs the merchant number and the QR code id."
        )
    first, second = tokens
    # Merchant numbers are at most 15 characters and QR code ids usually 26: when
    # only the second fits a mid, the two were typed the other way round.
    if len(first) > 15 >= len(second):
        first, second = second, first
    return lookup(first, second)


def _with_scheme(url: str) -> str:
    """A pasted ``qr.95516.com/…`` without its scheme reads as https."""
    return url if "://" in url else "https://" + url


def _id_from_url_token(token: str) -> str:
    qr_code_id = qr_code_id_from_url(_with_scheme(token))
    if qr_code_id is None:
        raise UsageError(
            "That URL is not a Chinaums QR code URL. Expected "
            f"{URL_EXAMPLE} or https://qr.chinaums.com/bills/qrCode.do?id=…",
            field="qrCodeId",
        )
    return qr_code_id


def parse_form(mid_text: str, qr_text: str) -> Lookup:
    """Read the lookup form's two fields with the command's rules.

    Raises FormErrors with a message for each field at fault, so both can be
    shown inline at once.
    """
    errors: dict[str, str] = {}
    mid = normalise(mid_text)
    try:
        check_mid(mid)
    except InvalidInput as exc:
        errors["mid"] = f"Expected {exc.expected}, for example {MID_EXAMPLE}."
    qr_tokens = [_unwrap(t) for t in _tokens(normalise(qr_text))]
    qr_code_id = ""
    if len(qr_tokens) != 1:
        errors["qrCodeId"] = f"Expected one QR code id or URL, for example {QR_CODE_ID_EXAMPLE}."
    else:
        try:
            token = qr_tokens[0]
            qr_code_id = check_qr_code_id(_id_from_url_token(token) if _is_url(token) else token)
        except UsageError as exc:
            errors["qrCodeId"] = exc.problem
        except InvalidInput as exc:
            errors["qrCodeId"] = f"Expected {exc.expected}, for example {QR_CODE_ID_EXAMPLE}."
    if errors:
        raise FormErrors(errors)
    return Lookup(mid=mid, qr_code_id=qr_code_id)


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


def find_in_message(text: str) -> tuple[str | None, str | None]:
    """(mid, qrCodeId) found in a message's text: the first QR URL, and a lone 15-digit number."""
    text = normalise(text).replace("&amp;", "&")
    url = _URL_IN_TEXT.search(text)
    qr_code_id = qr_code_id_from_url(_with_scheme(url.group(0))) if url else None
    mids = _MID_IN_TEXT.findall(_URL_IN_TEXT.sub(" ", text))
    return (mids[0] if len(set(mids)) == 1 else None), qr_code_id


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
