"""Pure: gateway replies and errors -> Block Kit cards (slack_sdk block models).

Every string from outside is escaped and clipped here, so a card stays within
Slack's limits whatever the gateway sends. No clock of its own: callers pass
``now``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBusy,
    GatewayCircuitOpen,
    GatewayRejected,
    GatewayUnavailable,
    TokenLimitReached,
)
from bot.gateway.models import CENT, FEN_PER_YUAN, Goods, QrCodeInfo
from bot.slack.mrkdwn import beijing_text, clip, clip_plain, date_token, escape
from bot.slack.parse import COMMAND_EXAMPLE, LABELLED_EXAMPLE, URL_EXAMPLE

Environment = Literal["sandbox", "test", "prod"]

# Block Kit limits (a message over any of them is rejected whole).
MAX_BLOCKS = 50
HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
BUTTON_TEXT_CHARS = 75
BUTTON_URL_CHARS = 3000
BUTTON_VALUE_CHARS = 2000
FALLBACK_CHARS = 300  # our own cap: notifications show little more

GOODS_SHOWN = 10
USAGE = escape("/qrinfo <merchant no.> <QR code id or URL>")
_DECORATION = re.compile(r":[a-z_]+: ")  # an emoji code at the start of our own texts
OPEN_QR_ACTION = "open_qr"
SHARE_ACTION = "share_card"
REFRESH_ACTION = "refresh_card"
ACTIONS_BLOCK = "card_actions"
EXPIRING_SOON = timedelta(days=1)

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

    def payload(
        self, *, response_type: Literal["ephemeral", "in_channel"] = "ephemeral"
    ) -> dict[str, Any]:
        """The JSON body for a response_url (or chat.postMessage, minus response_type)."""
        return {
            "response_type": response_type,
            "text": self.text,
            "blocks": self.block_dicts(),
        }

    def block_dicts(self) -> list[dict[str, Any]]:
        """The blocks as JSON-ready dicts (slack_sdk validates them here)."""
        return [block.to_dict() for block in self.blocks]


@dataclass(frozen=True, slots=True)
class LookupContext:
    """What the card says about the lookup itself, not the code."""

    env: Environment
    msg_id: str | None
    answered_at: datetime  # when the gateway answered, not when the card was drawn
    duration_ms: float | None = None  # how long the gateway call took
    age_s: float | None = None  # set when the answer was reused: seconds since it came
    refreshed: bool = False
    shared_by: str | None = None  # who put the card in the channel: the verified clicker


@dataclass(frozen=True, slots=True)
class CardButtons:
    """The buttons a card carries: Refresh always, Share unless already shared."""

    value: str  # from parse.encode_button_value: what Refresh and Share look up again
    shareable: bool = True


def money(fen: int | Decimal) -> str:
    """¥ with two decimals and thousands separators: 599900 -> ¥5,999.00."""
    yuan = (Decimal(fen) / FEN_PER_YUAN).quantize(CENT)
    return f"¥{yuan:,.2f}"


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _mrkdwn(text: str, *, verbatim: bool = False) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=verbatim)


def _field(label: str, value: str | None, *, code: bool = False) -> MarkdownTextObject | None:
    if not value:
        return None
    shown = clip(value, FIELD_CHARS - len(label) - 10)
    return _mrkdwn(f"*{label}*\n`{shown}`" if code else f"*{label}*\n{shown}")


def _context(ctx: LookupContext, *extra: str) -> ContextBlock:
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
    elements = [_mrkdwn(clip_plain(p, SECTION_CHARS)) for p in parts[:MAX_CONTEXT_ELEMENTS]]
    return ContextBlock(elements=elements)


# --- the QR code card ---------------------------------------------------------------------


def _expiry_note(expire_time: datetime | None, now: datetime) -> str | None:
    if expire_time is None:
        return None
    if expire_time <= now:
        return f":no_entry: *Expired* {date_token(expire_time)}"
    if expire_time - now <= EXPIRING_SOON:
        return f":hourglass_flowing_sand: *Expires within a day*: {date_token(expire_time)}"
    return None


def _goods_line(goods: Goods) -> str:
    name = clip(goods.goods_name or goods.goods_id or "(unnamed)", 200)
    quantity = "?" if goods.quantity is None else _quantity(goods.quantity)
    line = f"• {name} × {quantity}"
    if goods.price is not None:
        line += f" @ {money(goods.price)}"
    if goods.line_total_fen is not None:
        line += f" = {money(goods.line_total_fen)}"
    return line


def _goods_section(info: QrCodeInfo) -> SectionBlock | None:
    if not info.goods:
        return None
    lines = [f"*Goods* ({len(info.goods)})"]
    budget = SECTION_CHARS - 400  # room for the "more" and mismatch lines
    shown = 0
    for goods in info.goods[:GOODS_SHOWN]:
        line = _goods_line(goods)
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            break
        lines.append(line)
        shown += 1
    if shown < len(info.goods):
        lines.append(f"_…and {len(info.goods) - shown} more_")
    goods_total = info.goods_total_fen
    if (
        goods_total is not None
        and info.total_amount is not None
        and goods_total != info.total_amount
    ):
        difference = Decimal(info.total_amount) - goods_total
        lines.append(
            f":warning: The goods add up to {money(goods_total)}, "
            f"but the total is {money(info.total_amount)} "
            f"(difference {'+' if difference > 0 else '−'}{money(abs(difference))})."
        )
    return SectionBlock(text=_mrkdwn("\n".join(lines)))


def _linkable(url: str | None) -> bool:
    """Only https URLs that fit a button become one."""
    return url is not None and url.lower().startswith("https://") and len(url) <= BUTTON_URL_CHARS


def _unlinked_url_block(url: str) -> SectionBlock:
    reason = (
        "is not https" if not url.lower().startswith("https://") else "is too long for a button"
    )
    prefix = f":warning: The QR URL {reason}, so it is not linked: "
    # verbatim: Slack must not turn the URL into a link on its own.
    return SectionBlock(
        text=_mrkdwn(prefix + clip(url, SECTION_CHARS - len(prefix) - 10), verbatim=True)
    )


def _button(text: str, action_id: str, **extra: Any) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=text, emoji=True), action_id=action_id, **extra)


def _actions(url: str | None, buttons: CardButtons | None) -> ActionsBlock | None:
    elements: list[ButtonElement] = []
    if _linkable(url):
        elements.append(_button("Open QR code", OPEN_QR_ACTION, url=url, style="primary"))
    if buttons is not None:
        elements.append(_button("Refresh", REFRESH_ACTION, value=buttons.value))
        if buttons.shareable:
            elements.append(_button("Share in channel", SHARE_ACTION, value=buttons.value))
    return ActionsBlock(block_id=ACTIONS_BLOCK, elements=elements) if elements else None


def qr_card(
    info: QrCodeInfo,
    ctx: LookupContext,
    *,
    now: datetime,
    buttons: CardButtons | None = None,
) -> Card:
    """The card for a found QR code."""
    merchant = info.mer_name or "(merchant name not given)"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(merchant, HEADER_CHARS), emoji=False))
    ]

    headline = [
        f"*{money(info.total_amount)}*" if info.total_amount is not None else "*Amount not given*"
    ]
    if info.installment_number:
        headline.append(f"in {info.installment_number} instalments")
    summary = "  ·  ".join(headline)
    note = _expiry_note(info.expire_time, now)
    if note:
        summary += "\n" + note
    fields = [
        _field("Merchant no.", info.mid, code=True),
        _field("Terminal", info.tid, code=True),
        _field("Business type", info.inst_mid),
        # Our own date token: built here, not escaped like outside text.
        _mrkdwn(f"*Expires*\n{date_token(info.expire_time)}") if info.expire_time else None,
        _field("Bill no.", info.bill_no, code=True),
        _field("Bill date", info.bill_date.isoformat() if info.bill_date else None),
        _field("Member", info.member_id),
        _field("Counter", info.counter_no),
    ]
    present = [f for f in fields if f is not None]
    blocks.append(SectionBlock(text=_mrkdwn(summary), fields=present[:MAX_FIELDS] or None))

    if info.bill_desc:
        label = "*Description*\n"
        blocks.append(
            SectionBlock(text=_mrkdwn(label + clip(info.bill_desc, SECTION_CHARS - len(label))))
        )
    goods = _goods_section(info)
    if goods is not None:
        blocks.append(goods)
    if info.qr_code_url and not _linkable(info.qr_code_url):
        blocks.append(_unlinked_url_block(info.qr_code_url))
    actions = _actions(info.qr_code_url, buttons)
    if actions is not None:
        blocks.append(actions)
    blocks.append(_context(ctx))

    fallback = (
        f"{merchant}: {money(info.total_amount) if info.total_amount is not None else 'no amount'}"
    )
    if info.expire_time is not None:
        fallback += f", expires {beijing_text(info.expire_time)}"
    return Card(text=clip(fallback, FALLBACK_CHARS), blocks=blocks)


# --- help and errors ----------------------------------------------------------------------


ENV_DESCRIPTIONS: dict[str, str] = {
    "sandbox": "the built-in sandbox gateway (simulated codes, no real merchant data)",
    "test": "the provider's test gateway",
    "prod": "the production gateway",
}


def usage_card(env: Environment) -> Card:
    """Every way to use the bot, with an example, and which gateway it talks to."""
    command = (
        "*Look inside a Chinaums payment QR code*\n"
        f"• `{USAGE}`, for example\n   `{COMMAND_EXAMPLE}`\n"
        f"• The QR code's URL works in place of its id: `{URL_EXAMPLE}` "
        "or `https://qr.chinaums.com/bills/qrCode.do?id=…`, pasted as it is.\n"
        f"• Text pasted from a chat works too, labels and all: `{LABELLED_EXAMPLE}`\n"
        "• `/qrinfo help` shows this message."
    )
    without_typing = (
        "*Without typing a command*\n"
        "• Shortcut *Look up a QR code* (the ⚡ menu or the search bar) opens a form.\n"
        "• On a message with a QR code URL: *More actions (⋮)* → *Look up this QR code* "
        "opens the form with the code filled in.\n"
        "Form results arrive in your direct messages with the bot."
    )
    buttons = (
        "*Buttons on a card*\n"
        "• *Open QR code* opens the code's URL (https only).\n"
        "• *Refresh* looks the code up again and updates the card in place.\n"
        "• *Share in channel* posts the card for everyone in the channel, with your name on it."
    )
    return Card(
        text=f"Usage: {COMMAND_EXAMPLE}",
        blocks=[
            SectionBlock(text=_mrkdwn(command)),
            SectionBlock(text=_mrkdwn(without_typing)),
            SectionBlock(text=_mrkdwn(buttons)),
            ContextBlock(
                elements=[_mrkdwn(f"{BADGES[env]}  ·  connected to {ENV_DESCRIPTIONS[env]}")]
            ),
        ],
    )


def input_error_card(problem: str, env: Environment) -> Card:
    """Input we rejected locally: what is wrong, what is expected, an example."""
    text = f":warning: {clip(problem, 1500)}\nExpected `{USAGE}`, for example\n`{COMMAND_EXAMPLE}`"
    return Card(
        text=clip(f"Cannot look that up: {problem}", FALLBACK_CHARS),
        blocks=[
            SectionBlock(text=_mrkdwn(text)),
            ContextBlock(elements=[_mrkdwn(f"{BADGES[env]}  ·  nothing was sent to the gateway")]),
        ],
    )


def _retry(value: str | None) -> list[Block]:
    """A Refresh button under an error card, when we know what to look up again."""
    if value is None:
        return []
    return [
        ActionsBlock(
            block_id=ACTIONS_BLOCK, elements=[_button("Refresh", REFRESH_ACTION, value=value)]
        )
    ]


def rejected_card(error: GatewayRejected, ctx: LookupContext, *, retry: str | None = None) -> Card:
    """The gateway said no: its code, what that means, what to do."""
    text = (
        f":no_entry: *{clip(error.code, 100)}*: {escape(error.explanation)}\n"
        f"*What to do:* {escape(error.next_step)}"
    )
    if error.gateway_message:
        text += f"\n_Gateway said:_ {clip(error.gateway_message, 1000)}"
    return Card(
        text=clip(f"Gateway answered {error.code}: {error.explanation}", FALLBACK_CHARS),
        blocks=[SectionBlock(text=_mrkdwn(text)), *_retry(retry), _context(ctx)],
    )


def unavailable_card(
    error: GatewayUnavailable, ctx: LookupContext, *, retry: str | None = None
) -> Card:
    """No usable answer: what happened, attempts and time; try again."""
    if isinstance(error, GatewayCircuitOpen):
        since = f" since {date_token(error.failing_since)}" if error.failing_since else ""
        return Card(
            text="The gateway keeps failing; lookups are paused for a moment.",
            blocks=[
                SectionBlock(
                    text=_mrkdwn(
                        f":rotating_light: *The gateway has been failing{since}.*\n"
                        f"Lookups are paused for {error.retry_in:.0f} s so it can recover; "
                        "try again then."
                    )
                ),
                *_retry(retry),
                _context(ctx),
            ],
        )
    if isinstance(error, GatewayBusy):
        return Card(
            text="The gateway is busy; try again in a moment.",
            blocks=[
                SectionBlock(
                    text=_mrkdwn(
                        ":hourglass: *The gateway is busy, try again in a moment.*\n"
                        "Many lookups are running at once; this one was not sent so the "
                        "others can finish."
                    )
                ),
                *_retry(retry),
                _context(ctx),
            ],
        )
    plural = "" if error.attempts == 1 else "s"
    text = (
        ":hourglass: *The Chinaums gateway did not give a usable answer.*\n"
        f"{clip(error.reason, 1500)}\n"
        f"{error.attempts} attempt{plural} in {error.elapsed:.1f} s. Try again in a moment."
    )
    return Card(
        text="The Chinaums gateway is not answering; try again in a moment.",
        blocks=[SectionBlock(text=_mrkdwn(text)), *_retry(retry), _context(ctx)],
    )


def auth_error_card(
    error: GatewayAuthError, ctx: LookupContext, *, retry: str | None = None
) -> Card:
    """A problem on our side (credentials, whitelist, clock): the operator must act."""
    reference = f" and quote msgId `{clip(error.msg_id, 100)}`" if error.msg_id else ""
    cause = (
        "Its app id already holds as many access tokens as the provider allows "
        "(other programs using the same app id hold them); they expire within the hour."
        if isinstance(error, TokenLimitReached)
        else "This is a configuration problem on our side, not a problem with the QR code."
    )
    text = (
        f":wrench: *The bot cannot query the gateway right now.* {cause}\n"
        f"Please tell the bot's operator{reference}."
    )
    return Card(
        text="The bot cannot query the gateway right now; please tell its operator.",
        blocks=[SectionBlock(text=_mrkdwn(text)), *_retry(retry), _context(ctx)],
    )


def refused_card(text: str, env: Environment) -> Card:
    """Not allowed, or over a limit: *text* (already safe mrkdwn) says which and what to do."""
    return Card(
        text=clip_plain(_DECORATION.sub("", text), FALLBACK_CHARS),
        blocks=[
            SectionBlock(text=_mrkdwn(text)),
            ContextBlock(elements=[_mrkdwn(f"{BADGES[env]}  ·  nothing was sent to the gateway")]),
        ],
    )


def share_failed_card(reason: str) -> Card:
    """Sharing did not work; the ephemeral card is still there."""
    text = (
        f":warning: *The card could not be shared in the channel:* {clip(reason, 500)}\n"
        "Your card is unchanged; run `/qrinfo` again to get a fresh one to share."
    )
    return Card(
        text="The card could not be shared in the channel.",
        blocks=[SectionBlock(text=_mrkdwn(text))],
    )


def unreadable_request_card(reason: str) -> Card:
    """Slack sent something this bot cannot read (a request Slack itself would not send)."""
    text = (
        f":warning: *This request could not be read:* {clip(reason, 300)}.\n"
        "Nothing was looked up. Try again; if it keeps happening, tell the bot's operator."
    )
    return Card(
        text="This request could not be read; nothing was looked up.",
        blocks=[SectionBlock(text=_mrkdwn(text))],
    )


def unexpected_error_card(reference: str) -> Card:
    """Anything unexpected: a short apology with a correlation id."""
    text = (
        ":x: Sorry, something went wrong on our side while looking that up.\n"
        f"If it happens again, tell the bot's operator and quote `{clip(reference, 100)}`."
    )
    return Card(text="Sorry, something went wrong.", blocks=[SectionBlock(text=_mrkdwn(text))])


# --- limits -------------------------------------------------------------------------------


def limit_problems(card: Card) -> list[str]:
    """Every Block Kit limit the card breaks; empty when it is fine."""
    problems: list[str] = []
    if not card.text:
        problems.append("no top-level text")
    if len(card.blocks) > MAX_BLOCKS:
        problems.append(f"{len(card.blocks)} blocks")
    for block in card.blocks:
        data = block.to_dict()  # raises SlackObjectFormationError for what slack_sdk checks
        problems.extend(_block_problems(data))
    return problems


def _block_problems(data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = data["type"]
    if kind == "header" and len(data["text"]["text"]) > HEADER_CHARS:
        problems.append("header too long")
    if kind == "section":
        text = data.get("text", {}).get("text", "")
        if not 1 <= len(text) <= SECTION_CHARS:
            problems.append(f"section text of {len(text)}")
        fields: Sequence[dict[str, Any]] = data.get("fields", [])
        if len(fields) > MAX_FIELDS:
            problems.append(f"{len(fields)} fields")
        problems.extend(
            f"field of {len(f['text'])}" for f in fields if len(f["text"]) > FIELD_CHARS
        )
    if kind == "context":
        if len(data["elements"]) > MAX_CONTEXT_ELEMENTS:
            problems.append("too many context elements")
        problems.extend(
            "context element too long"
            for e in data["elements"]
            if len(e.get("text", "")) > SECTION_CHARS
        )
    if kind == "actions":
        for element in data["elements"]:
            if len(element["text"]["text"]) > BUTTON_TEXT_CHARS:
                problems.append("button text too long")
            if len(element.get("url", "")) > BUTTON_URL_CHARS:
                problems.append("button url too long")
            if len(element.get("value", "")) > BUTTON_VALUE_CHARS:
                problems.append("button value too long")
    return problems
