"""Pure helpers for Slack text: escaping, clipping to limits, date tokens."""

from __future__ import annotations

from datetime import datetime

from bot.gateway.signing import to_beijing

ELLIPSIS = "…"
ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}  # what Slack reads as control


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control (and nothing else).

    This also defuses injected ``<!channel>``, ``<@U…>`` and ``<https://x|label>``.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """*text* escaped, cut so the escaped result is at most *limit* characters.

    Never cuts inside an entity such as ``&amp;``; marks a cut with an ellipsis.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    used = 0
    for char in text:
        piece = ESCAPES.get(char, char)
        if used + len(piece) > limit - len(ELLIPSIS):
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS


def clip_plain(text: str, limit: int) -> str:
    """Like :func:`clip`, for text we wrote ourselves (already safe): only cut."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def beijing_text(instant: datetime) -> str:
    """``2030-02-26 13:51:25 UTC+8``: how the gateway's own clock reads."""
    return f"{to_beijing(instant):%Y-%m-%d %H:%M:%S} UTC+8"


def date_token(instant: datetime, *, fmt: str = "{date_short_pretty} {time}") -> str:
    """Slack's date token: each reader sees their own time zone; Beijing time as fallback."""
    return f"<!date^{int(instant.timestamp())}^{fmt}|{beijing_text(instant)}>"
