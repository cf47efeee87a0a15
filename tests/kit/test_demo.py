"""`qrinfo demo`'s terminal rendering of the cards' mrkdwn."""

from __future__ import annotations

import re
from pathlib import Path

import bot.slack
from bot.kit.demo import mrkdwn_to_text

# `:name:` in the Slack package's source, not a Sphinx role (:func:`x`) nor a time (12:30:00).
_EMOJI_CODE = re.compile(r"(?<![\w:`]):([a-z][a-z0-9_+-]*):(?![\w`])")


def _renders_as_a_glyph(name: str) -> bool:
    rendered = mrkdwn_to_text(f"before :{name}: after")
    glyph = rendered.removeprefix("before ").removesuffix(" after")
    return rendered != glyph and bool(glyph) and not glyph.isascii()


def test_every_emoji_the_slack_app_uses_renders_as_a_glyph() -> None:
    """Each `:name:` in bot/slack's source renders in the terminal as an emoji, not as text."""
    used = {
        code
        for source in Path(bot.slack.__file__).parent.rglob("*.py")
        for code in _EMOJI_CODE.findall(source.read_text(encoding="utf-8"))
    }
    assert {"warning", "lock", "stopwatch", "large_green_circle"} <= used  # the scan finds them
    assert sorted(name for name in used if not _renders_as_a_glyph(name)) == []
