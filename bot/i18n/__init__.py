"""Words in the reader's language: English in the code, Chinese in a gettext catalogue.

Every user-facing message is written once, in English, where it is used, and
marked for extraction: ``T("Try again in {seconds} s.", seconds=20)`` makes a
:class:`Text` (a message not yet in a language), ``P(singular, plural, n)`` one
that depends on a count, and ``N_("…")`` marks a constant shown elsewhere. A
:class:`Translator` puts a Text into one language; English is the identity.

The Chinese catalogue is ``locales/zh/LC_MESSAGES/messages.po``: the gettext
convention, so Poedit, Weblate and ``pybabel`` all work on it, and
``python -m bot.i18n.catalogue`` brings it up to date with the code. It is read
once per process with Babel (no compile step, no ``.mo`` file to keep in step).
"""

from __future__ import annotations

import gettext
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)


def N_(template: str) -> str:  # gettext's own name for the marker
    """Mark *template* for the catalogue without translating it (a constant shown later)."""
    return template


@dataclass(frozen=True, slots=True)
class Text:
    """A message not yet in a language: its English template (the msgid) and its values.

    Values are put in with ``str.format`` names (``{seconds}``); a value that is
    itself a Text is translated too. ``str()`` gives the English, for logs.
    """

    template: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str | None = None  # the English plural, when the message depends on ``count``

    def __str__(self) -> str:
        return ENGLISH(self)


def T(template: str, /, **params: object) -> Text:  # short: it is everywhere
    """A message with its values, to be put into the reader's language later."""
    return Text(template, params)


def P(singular: str, plural: str, /, count: int, **params: object) -> Text:
    """A message that depends on *count* (given to the template as ``{count}`` too)."""
    return Text(singular, {"count": count, **params}, plural=plural)


MAX_SAID = 2000  # messages without values a Translator keeps in words


class Translator:
    """Puts messages into one language. Call it with a Text, or a msgid and its values."""

    def __init__(self, language: Language, messages: gettext.NullTranslations) -> None:
        self.language = language
        self._messages = messages
        self._said: dict[str, str] = {}  # a message without values, once put into words

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    def __call__(self, message: str | Text, /, **params: object) -> str:
        if not params and isinstance(message, str):  # a button's label, a field's name
            said = self._said.get(message)
            if said is None:
                said = self._say(Text(message, {}))
                if len(self._said) < MAX_SAID:  # the catalogue's few hundred; nothing else
                    self._said[message] = said
            return said
        return self._say(message if isinstance(message, Text) else Text(message, params))

    def _say(self, text: Text) -> str:
        values = {k: self(v) if isinstance(v, Text) else v for k, v in text.params.items()}
        if text.plural is None:
            template = self._messages.gettext(text.template)
        else:
            count = values.get("count")
            n = count if isinstance(count, int) else 0
            template = self._messages.ngettext(text.template, text.plural, n)
        return template.format_map(values)


def columns(text: str) -> int:
    """How many terminal columns *text* takes: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """*text* and spaces up to *width* terminal columns."""
    return text + " " * max(0, width - columns(text))


def printable(text: str) -> str:
    """*text* safe for a terminal: what the gateway or a person sent may hold an escape
    sequence, which must not drive the terminal (nor a lone surrogate break print())."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def placeholders(template: str) -> frozenset[str]:
    """The ``{names}`` a template fills in."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


ENGLISH = Translator("en", gettext.NullTranslations())  # the msgids are the English
