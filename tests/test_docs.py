"""The documentation site: every setting the code reads has its row on the configuration
page (mkdocs build --strict, in .ci/run, checks the pages, links and anchors)."""

from __future__ import annotations

from pathlib import Path

from bot.config import FILE_VARIABLES, VARIABLES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_the_code_reads_is_on_the_configuration_page() -> None:
    """Each setting, as its variable (of every group, under its prefix), appears in
    docs/configuration.md; so does each secret's _FILE (named in the page's `…_FILE` row by
    the variable it stands for)."""
    page = (DOCS / "configuration.md").read_text()
    assert [name for name in VARIABLES if f"`{name}`" not in page] == []
    assert "`…_FILE`" in page
    secrets = [name.removesuffix("_FILE") for name in FILE_VARIABLES]
    assert [name for name in secrets if f"`{name}`" not in page] == []
