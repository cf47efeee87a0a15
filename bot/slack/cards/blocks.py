"""Pure: the pieces every card is made of, and Block Kit's limits.

Every string from outside is escaped and clipped by these helpers, so a card
stays within Slack's limits whatever the gateway sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.gateway.config import Environment
from bot.gateway.models import yuan
from bot.i18n import N_, T, Text, Translator
from bot.slack.cards.block_kit import Json, actions, button, context, mrkdwn
from bot.slack.cards.mrkdwn import clip, clip_plain, date_token

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
RAW_REPLY_ACTION = "raw_reply"
ACTIONS_BLOCK = "card_actions"

_BADGES: dict[str, str] = {
    "sandbox": N_(":test_tube: *SANDBOX*"),
    "test": N_(":construction: *TEST*"),
    "prod": N_(":large_green_circle: *PROD*"),
}


def badge(env: Environment, tr: Translator) -> str:
    """Which gateway answered, as the first thing in every card's footer."""
    return tr(_BADGES[env])


@dataclass(frozen=True, slots=True)
class Card:
    """A message: the blocks (Block Kit's JSON, see block_kit.py) and the top-level ``text``
    fallback (always set)."""

    text: str
    blocks: list[Json] = field(default_factory=list)

    def block_dicts(self) -> list[Json]:
        """The blocks as sent: JSON-ready already (a new list, the same dicts)."""
        return list(self.blocks)


@dataclass(frozen=True, slots=True)
class CardContext:
    """What the card says about the lookup itself, not the code."""

    env: Environment
    tr: Translator  # the reader's language
    msg_id: str | None
    answered_at: datetime  # when the gateway answered, not when the card was drawn
    duration_ms: float | None = None  # how long the gateway call took
    age_s: float | None = None  # set when the answer was reused: seconds since it came
    refreshed: bool = False
    shared_by: str | None = None  # who put the card in the channel: the verified clicker
    raw_reply: bool = False  # a Raw reply button: only on a card only an operator sees


def money(fen: int | Decimal) -> str:
    """¥ with two decimals and thousands separators: 599900 -> ¥5,999.00."""
    return f"¥{yuan(fen):,.2f}"


def quantity_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def field_text(label: str, value: str | None, *, code: bool = False) -> Json | None:
    if not value:
        return None
    shown = clip(value, FIELD_CHARS - len(label) - 10)
    return mrkdwn(f"*{label}*\n`{shown}`" if code else f"*{label}*\n{shown}")


def context_block(ctx: CardContext) -> Json:
    """The footer: which gateway, the msgId, when it was looked up (and how long it took)."""
    tr = ctx.tr
    parts = [badge(ctx.env, tr)]
    if ctx.msg_id:
        parts.append(f"msgId `{clip(ctx.msg_id, 100)}`")
    when = date_token(ctx.answered_at, fmt="{date_short} {time_secs}")
    parts.append(tr(_when(ctx, when)))
    if ctx.shared_by and not ctx.refreshed:
        parts.append(tr("shared by {user}", user=f"<@{ctx.shared_by}>"))
    elements = [mrkdwn(clip_plain(p, SECTION_CHARS)) for p in parts[:MAX_CONTEXT_ELEMENTS]]
    return context(elements)


# When the answer came, by footer kind: (refreshed, reused, timed, by whom).
_WHEN: dict[tuple[bool, bool, bool, bool], str] = {
    (False, False, False, False): N_("looked up {when}"),
    (False, False, True, False): N_("looked up {when} in {ms} ms"),
    (False, True, False, False): N_("looked up {age} s ago ({when})"),
    (True, False, False, False): N_("refreshed {when}"),
    (True, False, True, False): N_("refreshed {when} in {ms} ms"),
    (True, True, False, False): N_("refreshed {age} s ago ({when})"),
    (True, False, False, True): N_("refreshed {when} by {user}"),
    (True, False, True, True): N_("refreshed {when} in {ms} ms by {user}"),
    (True, True, False, True): N_("refreshed {age} s ago ({when}) by {user}"),
}


def _when(ctx: CardContext, when: str) -> Text:
    reused = ctx.age_s is not None  # someone else's answer of a moment ago, shown as such
    timed = ctx.duration_ms is not None and not reused
    by = bool(ctx.shared_by) and ctx.refreshed
    return T(
        _WHEN[(ctx.refreshed, reused, timed, by)],
        when=when,
        age=round(ctx.age_s or 0),
        ms=f"{ctx.duration_ms or 0:,.0f}",
        user=f"<@{ctx.shared_by}>",
    )


def raw_reply_button(ctx: CardContext) -> list[Json]:
    """The operator's Raw reply button, when the card has one and a msgId to show."""
    if not ctx.raw_reply or not ctx.msg_id:
        return []
    return [button(ctx.tr("Raw reply"), RAW_REPLY_ACTION, value=ctx.msg_id[:100])]


def retry_actions(value: str | None, ctx: CardContext) -> list[Json]:
    """A Refresh button under a card, when we know what to look up again (and Raw reply)."""
    elements = [button(ctx.tr("Refresh"), REFRESH_ACTION, value=value)] if value else []
    elements += raw_reply_button(ctx)
    return [actions(ACTIONS_BLOCK, elements)] if elements else []
