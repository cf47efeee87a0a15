"""Pure: what a person typed (or a button carried) -> a lookup, several (a batch), a help or
status request, or a usage error. A first word (``test``, ``生产`` …) or a pasted URL's host
names the gateway's environment.

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
from dataclasses import replace

from bot.gateway.config import Environment
from bot.gateway.errors import InvalidInput
from bot.gateway.ids import (
    MID_EXAMPLE,
    QR_CODE_ID_EXAMPLE,
    QrCodeRef,
    check_mid,
    check_qr_code_id,
)
from bot.i18n import T, Text
from bot.qr_urls import NEW_SHAPE_HOST, OLD_SHAPE_HOSTS, OLD_SHAPE_PATH, pattern
from bot.service.lookup import MAX_BATCH
from bot.slack.names import ENV_NAMES
from bot.slack.reading.pasted import (
    AROUND_A_VALUE,
    FIELD_NAMES,
    LABEL_WORDS,
    MID,
    QR_CODE_ID,
    WRAPPERS,
    BatchRequest,
    HelpRequest,
    StatusRequest,
    UsageError,
    Value,
    env_of_url,
    field_of,
    is_url,
    normalise,
    qr_code_id_from_url,
    read_values,
)

COMMAND_EXAMPLE = f"/qrinfo {MID_EXAMPLE} {QR_CODE_ID_EXAMPLE}"
URL_EXAMPLE = f"https://qr.95516.com/48020000/{QR_CODE_ID_EXAMPLE}"
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


BATCH_EXAMPLE = f"/qrinfo {MID_EXAMPLE} {QR_CODE_ID_EXAMPLE} 31942611251400310000445566"


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
        return _batch(values)
    urls = [v.text for v in values if v.field is None and is_url(v.text)]
    if len(urls) > 1:
        raise UsageError(T("That is two URLs; give the merchant number and one QR code URL."))
    mids = [v.text for v in values if v.field == MID]
    qr_code_ids = [_qr_code_id(v.text) for v in values if v.field == QR_CODE_ID]
    qr_code_ids += [_id_from_url_token(url) for url in urls]
    env = _env_of(urls + [v.text for v in values if v.field == QR_CODE_ID and is_url(v.text)])
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
    qr_code_id = qr_code_ids[0] if qr_code_ids else (unlabelled.pop() if unlabelled else None)
    return replace(_both(mid, qr_code_id), env=env)


def _batch(values: list[Value]) -> BatchRequest | QrCodeRef:
    """``<mid> <id or URL> <id or URL> …``: the merchant number labelled, or first."""
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
        [mid] = mids
    elif is_url(values[0].text) or values[0].field == QR_CODE_ID:
        raise UsageError(
            T(
                "Several QR codes at once take the merchant number first, like {example}",
                example=BATCH_EXAMPLE,
            ),
            field=MID,
        )
    else:
        mid = values[0]
    refs: dict[tuple[Environment | None, str], QrCodeRef] = {}
    for value in values:
        if value is mid:
            continue
        if value.field is None and not is_url(value.text) and _looks_like_a_mid(value.text):
            raise _a_mid_among_codes(value.text)
        qr_code_id, env = _qr_value(value.text, named=True)
        ref = checked_ref(mid.text, qr_code_id, env)
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
    return BatchRequest(tuple(refs.values()), duplicates=len(values) - 1 - len(refs))


def _a_mid_among_codes(text: str) -> UsageError:
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


def _looks_like_a_mid(text: str) -> bool:
    try:
        check_mid(text)
    except InvalidInput:
        return False
    return True


def _qr_value(text: str, *, named: bool) -> tuple[str, Environment | None]:
    """A QR code id, or a QR URL's id and environment, checked; *named* (one of a list): a
    fault says which value it is."""
    try:
        if not is_url(text):
            return check_qr_code_id(text), None
        return check_qr_code_id(_id_from_url_token(text)), _env_of([text])
    except UsageError:  # not a QR URL
        if not named:
            raise
        raise UsageError(
            T(
                "`{value}` is not a Chinaums QR code URL. Expected {example} "
                "or https://qr.chinaums.com/bills/qrCode.do?id=…",
                value=text[:80],
                example=URL_EXAMPLE,
            ),
            field=QR_CODE_ID,
        ) from None
    except InvalidInput as exc:
        if not named:
            raise
        raise UsageError(
            T("`{value}` is not {expected}.", value=text[:40], expected=Text(exc.expected)),
            field=QR_CODE_ID,
        ) from None


def _env_of(urls: list[str]) -> Environment | None:
    """The environment a pasted QR URL's host names (the first one's)."""
    return next((env for url in urls if (env := env_of_url(_with_scheme(url)))), None)


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


def _both(mid: str | None, qr_code_id: str | None) -> QrCodeRef:
    if mid is None:
        raise UsageError(
            T("A QR code alone is not enough: the gateway also needs the merchant number (mid).")
        )
    if qr_code_id is None:
        raise UsageError(
            T(
                "A merchant number alone is not enough: "
                "the gateway also needs the QR code id (or its URL)."
            )
        )
    return checked_ref(mid, qr_code_id)


def _qr_code_id(value: str) -> str:
    """A QR code id as typed, or the one in a QR URL."""
    return _id_from_url_token(value) if is_url(value) else value


def _with_scheme(url: str) -> str:
    """A pasted ``qr.95516.com/…`` without its scheme reads as https."""
    return url if "://" in url else "https://" + url


def _id_from_url_token(token: str) -> str:
    qr_code_id = qr_code_id_from_url(_with_scheme(token))
    if qr_code_id is None:
        raise UsageError(
            T(
                "That URL is not a Chinaums QR code URL. Expected "
                "{example} or https://qr.chinaums.com/bills/qrCode.do?id=…",
                example=URL_EXAMPLE,
            ),
            field=QR_CODE_ID,
        )
    return qr_code_id


def parse_form(mid_text: str, qr_text: str) -> QrCodeRef | BatchRequest:
    """Read the lookup form's two fields with the command's rules: one merchant number, and
    one QR code id or URL, or several (up to MAX_BATCH, any separators).

    Raises FormErrors with a message for each field at fault, so both can be
    shown inline at once.
    """
    errors: dict[str, Text] = {}
    mid = ""
    codes: dict[tuple[Environment | None, str], QrCodeRef] = {}
    typed = 0
    try:
        mid = check_mid(_mid_value(mid_text))
    except UsageError as exc:
        errors[MID] = exc.problem
    except InvalidInput as exc:
        errors[MID] = expected(exc)
    try:
        values = _field_values(qr_text, QR_CODE_ID)
        for value in values:
            typed += 1
            if len(values) > 1 and not is_url(value) and _looks_like_a_mid(value):
                raise _a_mid_among_codes(value)
            ref = QrCodeRef("", *_qr_value(value, named=len(values) > 1))
            codes.setdefault((ref.env, ref.qr_code_id), ref)
        count = len({ref.qr_code_id for ref in codes.values()})  # as the command counts
        if count > MAX_BATCH:
            errors[QR_CODE_ID] = T(
                "That is {count} QR codes; look up at most {most} at once.",
                count=count,
                most=MAX_BATCH,
            )
    except UsageError as exc:
        errors[QR_CODE_ID] = exc.problem
    except InvalidInput as exc:
        errors[QR_CODE_ID] = expected(exc)
    if errors:
        raise FormErrors(errors)
    refs = tuple(replace(ref, mid=mid) for ref in codes.values())
    return refs[0] if len(refs) == 1 else BatchRequest(refs, duplicates=typed - len(refs))


def expected(error: InvalidInput) -> Text:
    """What a field at fault should hold, with an example."""
    return T(
        "Expected {expected}, for example {example}.",
        expected=Text(error.expected),
        example=error.example,
    )


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


class FormErrors(Exception):
    """Field name (``mid``, ``qrCodeId``) -> what is wrong with it."""

    def __init__(self, errors: dict[str, Text]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


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
    url_text = _with_scheme(url.group(0)) if url else None
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


def encode_button_value(ref: QrCodeRef) -> str:
    """What a card's buttons carry: the lookup and its gateway, as compact JSON. Never who
    clicked or shared."""
    data = {"mid": ref.mid, "qr": ref.qr_code_id}
    if ref.env is not None:
        data["env"] = ref.env
    return json.dumps(data, separators=(",", ":"))


def decode_button_value(value: str) -> QrCodeRef:
    """A button's value back to a lookup, checked like user input: never trusted.

    Cards posted before this version also carry ``by`` (who shared them); it is
    ignored: who acts is who the verified payload says. Cards from before gateways were
    named carry no ``env``: they go to the default gateway, as they did.
    """
    try:
        data = json.loads(value)
    except (ValueError, TypeError, RecursionError):  # "[" * 1000 nests too deep to read
        raise UsageError(T("That button's data is not readable.")) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("mid"), str)
        or not isinstance(data.get("qr"), str)
    ):
        raise UsageError(T("That button's data is not a lookup."))
    env = data.get("env")
    if env is not None and not (isinstance(env, str) and env in ENV_NAMES):
        raise UsageError(T("That button's data is not a lookup."))
    return replace(checked_ref(data["mid"], data["qr"]), env=env)


def checked_ref(mid: str, qr_code_id: str, env: Environment | None = None) -> QrCodeRef:
    """What to look up, from two values checked as the gateway client checks them."""
    try:
        return QrCodeRef.checked(normalise(mid), normalise(qr_code_id), env)
    except InvalidInput as exc:
        shown = mid if exc.field == "mid" else qr_code_id
        raise UsageError(
            T("`{value}` is not {expected}.", value=shown[:40], expected=Text(exc.expected)),
            field=exc.field,
        ) from None
