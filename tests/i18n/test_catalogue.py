"""The catalogues: every message in both languages, with the same placeholders."""

from __future__ import annotations

import gettext
import re

import pytest
from babel.messages.catalog import Message

from bot.i18n import ENGLISH, LANGUAGES, P, T, Text, Translator, placeholders
from bot.i18n.catalogue import SOURCE_LANGUAGE, extract, read_catalogue, translator

TRANSLATED = [language for language in LANGUAGES if language != SOURCE_LANGUAGE]


def ids(messages: list[Message]) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages if m.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_in_the_code_is_translated_and_nothing_else_is(language: str) -> None:
    """The code's messages and the catalogue's are the same set; none is empty or fuzzy."""
    in_code = ids(list(extract()))
    catalogue = read_catalogue(language)  # type: ignore[arg-type]
    entries = [m for m in catalogue if m.id]
    assert in_code - ids(entries) == set(), "not in the catalogue: run python -m bot.i18n.catalogue"
    assert ids(entries) - in_code == set(), "in the catalogue, gone from the code"
    untranslated = [m.id for m in entries if m.fuzzy or not all(_forms(m))]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_fill_in_the_same_placeholders_as_the_english(language: str) -> None:
    """A placeholder missing (or extra) in a translation would lose a value or crash a card."""
    differ = []
    for message in read_catalogue(language):  # type: ignore[arg-type]
        if not message.id:
            continue
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        wanted = frozenset().union(*(placeholders(e) for e in english))
        for form in _forms(message):
            if placeholders(form) != wanted:
                differ.append((message.id, form))
    assert differ == []


def _forms(message: Message) -> list[str]:
    string = message.string
    return [string] if isinstance(string, str) else list(string or [])


def test_a_text_is_english_until_translated_and_its_values_are_translated_too() -> None:
    """str() is the English; a Text inside a Text is put into the same language."""
    text = T("Expected {expected}, for example {example}.", expected=Text("merchant number"),
             example="898340149000005")  # fmt: skip
    assert str(text) == "Expected merchant number, for example 898340149000005."
    assert translator("zh")(text) == "应为商户号，例如 898340149000005。"


def test_a_count_picks_the_english_form_and_chinese_has_one() -> None:
    """in 1 instalment / in 12 instalments; 分 1 期 / 分 12 期."""
    one, many = (P("in {count} instalment", "in {count} instalments", n) for n in (1, 12))
    assert (ENGLISH(one), ENGLISH(many)) == ("in 1 instalment", "in 12 instalments")
    assert (translator("zh")(one), translator("zh")(many)) == ("分 1 期", "分 12 期")


_SPAN = re.compile(r"\*[^*\n]+\*|`[^`\n]+`")


@pytest.mark.parametrize("language", TRANSLATED)
def test_bold_and_code_never_touch_chinese_outside_so_slack_renders_them(language: str) -> None:
    """Slack reads *bold* and `code` only at a word boundary: `*重要*。` shows its asterisks.
    A space goes between a span and the Chinese text or punctuation beside it."""
    touching = []
    for message in read_catalogue(language):  # type: ignore[arg-type]
        for form in _forms(message) if message.id else []:
            for span in _SPAN.finditer(form):
                a, b = span.span()
                outside = [form[a - 1] if a else " ", form[b] if b < len(form) else " "]
                if any(not c.isascii() and not c.isspace() for c in outside):
                    touching.append(form[max(0, a - 3) : b + 3])
    assert touching == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_message_without_values_says_the_same_every_time(language: str) -> None:
    """Kept in words after the first time: the same as a Text of it, every time."""
    tr = translator(language)
    for message in ("Refresh", "Raw reply", "Share"):
        assert tr(message) == tr(message) == tr(T(message))
    assert tr("Refresh") != "Refresh" or language == "en"


def test_a_template_without_its_values_fails_every_time() -> None:
    """Nothing is kept of a call that failed."""
    tr = translator("zh")
    for _ in range(2):
        with pytest.raises(KeyError):
            tr("looked up {when}")


def test_only_so_many_messages_are_kept_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever text reaches a translator, what it keeps stays bounded."""
    monkeypatch.setattr("bot.i18n.MAX_SAID", 3)
    tr = Translator("zh", gettext.NullTranslations())
    said = [tr(f"not in the catalogue {n}") for n in range(10)]
    assert said[9] == "not in the catalogue 9"
    assert list(tr._said) == said[:3]  # the first few kept, then no more
