"""The catalogues: read at first use, and kept in step with the code.

``python -m bot.i18n.catalogue`` extracts every marked message from ``bot/``
and merges it into each language's ``.po`` (new ones empty, gone ones marked
obsolete): then translate what is empty. The tests fail until every message has
a translation with the same placeholders.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from bot.i18n import ENGLISH, LANGUAGES, Language, Translator

PACKAGE = Path(__file__).resolve().parent.parent  # bot/
LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
# The markers of bot.i18n, as Babel's extractor reads them: name -> which arguments are msgids.
KEYWORDS: dict[str, tuple[int, ...] | None] = {"N_": None, "T": None, "P": (1, 2), "tr": None}
SOURCE_LANGUAGE: Language = "en"


def po_path(language: Language) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: Language) -> Catalog:
    with po_path(language).open("rb") as stream:
        return read_po(stream, locale=language, domain=DOMAIN)


@functools.cache
def translator(language: Language) -> Translator:
    """The Translator for *language*, its catalogue read once (English needs none)."""
    if language == SOURCE_LANGUAGE:
        return ENGLISH
    compiled = BytesIO()
    write_mo(compiled, read_catalogue(language), use_fuzzy=False)
    compiled.seek(0)
    return Translator(language, Translations(compiled, domain=DOMAIN))


def extract() -> Catalog:
    """Every message marked in ``bot/``, with where it is used."""
    found = Catalog(domain=DOMAIN, project="qrinfo")
    for filename, lineno, message, comments, _context in _marked():
        found.add(message, locations=[(filename, lineno)], auto_comments=comments)
    return found


def _marked() -> Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        if isinstance(message, tuple) and not all(message):
            continue  # a marker called with something other than literals
        yield f"bot/{filename}", lineno, message, comments, context


def update() -> None:
    """Merge the code's messages into every translated language's catalogue."""
    template = extract()
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        catalogue = read_catalogue(language)
        # An edited message keeps its old translation, marked fuzzy (the tests fail until
        # someone checks it); a removed one is kept as obsolete (#~), in case it comes back.
        catalogue.update(template)
        with po_path(language).open("wb") as stream:
            write_po(
                stream,
                catalogue,
                width=100,
                sort_output=True,
                ignore_obsolete=False,
                include_lineno=False,
            )
        untranslated = [m.id for m in catalogue if m.id and not _translated(m.string)]
        print(f"{po_path(language)}: {len(untranslated)} to translate", file=sys.stderr)


def _translated(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


if __name__ == "__main__":  # pragma: no cover  # a maintainer's tool
    update()
