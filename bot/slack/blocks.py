"""Pure: the pieces every card is made of, and Block Kit's limits.

Every string from outside is escaped and clipped by these helpers, so a card
stays within Slack's limits whatever the gateway sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.gateway.config import Environment
from bot.gateway.models import CENT, FEN_PER_YUAN
from bot.slack.mrkdwn import clip, clip_plain, date_token

# Block Kit limits the renderer keeps to (a message over any of them is rejected whole);
# tests/slack/blockkit.py checks every card against Slack's full list.
HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
BUTTON_URL_CHARS = 3000
FALLBACK_CHARS = 300  # our own cap: notifications show little more

REFRESH_ACTION = "refresh_card"
ACTIONS_BLOCK = "card_actions"

BADGES: dict[str, str] = {
    "sandbox": ":test_tube: *SANDBOX*",
    "test": ":construction: *TEST*",
    "prod": ":large_green_circle: *PROD*",
}


@dataclass(frozen=True, slots=True)
class Card:
    """A message: the blocks and the top-level ``text`` fallback (always set)."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def block_dicts(self) -> list[dict[str, Any]]:
        """The blocks as JSON-ready dicts (slack_sdk validates them here)."""
        return [block.to_dict() for block in self.blocks]


@dataclass(frozen=True, slots=True)
class CardContext:
    """What the card says about the lookup itself, not the code."""

    env: Environment
    msg_id: str | None
    answered_at: datetime  # when the gateway answered, not when the card was drawn
    duration_ms: float | None = None  # how long the gateway call took
    age_s: float | None = None  # set when the answer was reused: seconds since it came
    refreshed: bool = False
    shared_by: str | None = None  # who put the card in the channel: the verified clicker


def money(fen: int | Decimal) -> str:
    """¥ with two decimals and thousands separators: 599900 -> ¥5,999.00."""
    yuan = (Decimal(fen) / FEN_PER_YUAN).quantize(CENT)
    return f"¥{yuan:,.2f}"


def quantity_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def mrkdwn(text: str, *, verbatim: bool = False) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=verbatim)


def field_text(label: str, value: str | None, *, code: bool = False) -> MarkdownTextObject | None:
    if not value:
        return None
    shown = clip(value, FIELD_CHARS - len(label) - 10)
    return mrkdwn(f"*{label}*\n`{shown}`" if code else f"*{label}*\n{shown}")


def context_block(ctx: CardContext, *extra: str) -> ContextBlock:
    parts = [BADGES[ctx.env]]
    if ctx.msg_id:
        parts.append(f"msgId `{clip(ctx.msg_id, 100)}`")
    verb = "refreshed" if ctx.refreshed else "looked up"
    when = date_token(ctx.answered_at, fmt="{date_short} {time_secs}")
    if ctx.age_s is not None:  # someone else's answer of a moment ago, shown as such
        looked_up = f"{verb} {ctx.age_s:.0f} s ago ({when})"
    else:
        looked_up = f"{verb} {when}"
        if ctx.duration_ms is not None:
            looked_up += f" in {ctx.duration_ms:,.0f} ms"
    if ctx.shared_by and ctx.refreshed:
        looked_up += f" by <@{ctx.shared_by}>"
    parts.append(looked_up)
    if ctx.shared_by and not ctx.refreshed:
        parts.append(f"shared by <@{ctx.shared_by}>")
    parts.extend(extra)
    elements = [mrkdwn(clip_plain(p, SECTION_CHARS)) for p in parts[:MAX_CONTEXT_ELEMENTS]]
    return ContextBlock(elements=elements)


def button(text: str, action_id: str, **extra: Any) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=text, emoji=True), action_id=action_id, **extra)


def retry_actions(value: str | None) -> list[Block]:
    """A Refresh button under a card, when we know what to look up again."""
    if value is None:
        return []
    return [
        ActionsBlock(
            block_id=ACTIONS_BLOCK, elements=[button("Refresh", REFRESH_ACTION, value=value)]
        )
    ]
