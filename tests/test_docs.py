"""The documentation site: every setting the code reads has its row on the configuration
page (mkdocs build --strict, in .ci/run, checks the pages, links and anchors)."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.environment import variables

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_the_code_reads_is_on_the_configuration_page() -> None:
    """Each Settings field, as its variable, appears in docs/configuration.md; so does each
    secret's _FILE (named in the page's `…_FILE` row by the variable it stands for)."""
    page = (DOCS / "configuration.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in page]
    assert missing == []
    assert "`…_FILE`" in page
    secrets = [v.name.upper() for v in variables(Settings) if v.from_file]
    assert [name for name in secrets if f"`{name}`" not in page] == []
