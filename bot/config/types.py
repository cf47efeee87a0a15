"""The kinds of value settings take, as reusable ``Annotated`` types: how a variable's text is
read and what it must be. Each group of settings declares its fields with these.

A check that fails says what follows the variable's name in the one-line error (errors.py
puts the name first). Where one field stands for several variables (a gateway's app id, read
as CHINAUMS_APP_ID, CHINAUMS_TEST_APP_ID and CHINAUMS_PROD_APP_ID), its check cannot say what
that variable holds: it raises :func:`expected`, whose words errors.py replaces with the
variable's own.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import httpx
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_core import PydanticCustomError, PydanticUseDefault
from pydantic_settings import NoDecode

from bot.environment import BLANK_CATEGORIES, EXACT, FROM_FILE

# The kind of the errors that say what was expected, in words the variable's own description
# (what it holds, an example of it) may replace: {"what": the words, "tail": what follows}.
EXPECTED = "expected"


def expected(what: str, tail: str = "") -> PydanticCustomError:
    """The error "expected *what**tail*"; *what* is the default wording of what the variable
    holds, used when its name has no words of its own."""
    return PydanticCustomError(EXPECTED, "expected {what}{tail}", {"what": what, "tail": tail})


def _empty_is_default(value: object) -> object:
    # NAME= (set but empty) means what unset means, as for every other variable.
    if isinstance(value, str) and not value:
        raise PydanticUseDefault
    return value


# The field's default for an empty value: for a choice (CHINAUMS_ENV=) and a port (PORT=).
EmptyIsDefault = BeforeValidator(_empty_is_default)


def _blank_is_unset(value: str | None) -> str | None:
    return value or None


# Optional text: empty is unset.
OptionalText = Annotated[str | None, AfterValidator(_blank_is_unset)]


def _not_only_blanks(value: object) -> object:
    # Empty means unset; blanks (spaces, zero-width characters) are a paste gone wrong, and
    # would fail every request later with a far less clear message.
    if not isinstance(value, str) or not value:
        return value or None
    if not "".join(c for c in value if unicodedata.category(c) not in BLANK_CATEGORIES):
        raise expected("a value", ", got only blank characters")
    return value


# An id taken exactly as the provider issued it: empty is unset, only blanks refused.
ExactId = Annotated[str | None, EXACT, BeforeValidator(_not_only_blanks)]
# A key, token or secret: as an ExactId, never shown, and NAME_FILE may give it.
Secret = Annotated[SecretStr | None, FROM_FILE, BeforeValidator(_not_only_blanks)]


def _http_url(value: str | None) -> str | None:
    """An http(s) URL httpx can dial, as it will parse it; empty is unset. What was typed is
    never echoed: it may be a pasted secret."""
    if value is None or value == "":
        return None
    what = "an http:// or https:// URL"
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        # Its kind only ("Invalid port"): what was typed there may be a pasted secret.
        raise expected(what, f" ({str(exc).partition(':')[0]})") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise expected(what)
    if "%" in url.host:  # "[secret" read as a host name, percent-encoded: no host at all
        raise expected(what, " (not a host name)")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise expected(what, f" (the port must be 1-65535, got {url.port})")
    if url.userinfo:
        raise expected(what, ", without user:password@")
    if url.query or url.fragment:
        raise expected(what, ", without ?query or #fragment")
    return value


def _no_trailing_slash(value: str | None) -> str | None:
    return value.rstrip("/") if value else value


def _one_trailing_slash(value: str | None) -> str | None:
    # slack_sdk joins method names onto this base: it must end with a slash.
    return value.rstrip("/") + "/" if value else value


HttpUrl = Annotated[str | None, AfterValidator(_http_url)]
# A base URL requests are made under (a gateway's): without its trailing slash.
BaseUrl = Annotated[HttpUrl, AfterValidator(_no_trailing_slash)]
# A base URL method names are joined onto (Slack's Web API): with one trailing slash.
ApiUrl = Annotated[
    str, AfterValidator(_http_url), AfterValidator(_one_trailing_slash), EmptyIsDefault
]


# Seconds, finite: nan and inf pass float parsing, then would fail the range check with a
# puzzling message. A field gives its own bounds (Annotated[Seconds, Field(gt=0, le=60)]);
# errors.py words a value that is not finite with them: "a finite number of seconds (0-60)".
Seconds = Annotated[float, Field(allow_inf_nan=False)]


PORT_EXPECTED = "a port number 1-65535, or 0 for any free port, such as 3000"


def parse_port(text: str) -> int:
    """PORT and --port alike: ASCII digits only (not "３０００", "²", "1_000" or " 80 ")."""
    port = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= port <= 65535:
        raise ValueError(f"expected {PORT_EXPECTED}; got {text!r}")
    return port


def _port_as_typed(value: object) -> object:
    if isinstance(value, str):
        return parse_port(value)
    if isinstance(value, int) and not 0 <= value <= 65535:
        raise ValueError(f"expected {PORT_EXPECTED}; got {value!r}")
    return value


# A port to listen on, read as --port reads it: 0 is any free port, empty the default.
# (Before validators run last first: an empty value is the default before it is read.)
Port = Annotated[int, BeforeValidator(_port_as_typed), EmptyIsDefault]
OptionalPort = Annotated[int | None, BeforeValidator(_port_as_typed), EmptyIsDefault]

_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,30}")


# Comma-separated Slack ids, read as text (NoDecode: not as JSON, pydantic-settings' default
# for a set); a field says which kind with slack_ids(...).
SlackIds = Annotated[frozenset[str], NoDecode]


def slack_ids(
    kind: str, initials: str, example: str, *, empty: str = "no restriction"
) -> BeforeValidator:
    """Slack ids of one *kind* (user, channel...), each starting with one of *initials*;
    *example* shows a good value, *empty* says what leaving it empty means."""
    wanted = f"expected comma-separated Slack {kind} ids such as {example}"

    def split(value: object) -> object:
        if not isinstance(value, str):
            return value
        ids = [i for i in (part.strip() for part in value.replace(";", ",").split(",")) if i]
        if value and not ids:  # ",", "   ": a list gone wrong, not "no restriction"
            raise ValueError(f"{wanted}, got no id (leave it empty for {empty})")
        for n, i in enumerate(ids, 1):
            if not (_SLACK_ID.fullmatch(i) and i[0] in initials):
                # Where, not what: a secret pasted into the wrong variable stays unseen.
                where = f"id {n} of {len(ids)}" if len(ids) > 1 else "the id given"
                article = "an" if kind[0] in "AEIOU" else "a"
                raise ValueError(f"{wanted}; {where} is not {article} {kind} id")
        return frozenset(ids)

    return BeforeValidator(split)
