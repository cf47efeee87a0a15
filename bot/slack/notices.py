"""Pure: everything the bot says that is not a QR code: help, refusals and errors."""

from __future__ import annotations

import math
import re

from slack_sdk.models.blocks import ContextBlock, SectionBlock

from bot.gateway.config import Environment
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBusy,
    GatewayCircuitOpen,
    GatewayRejected,
    GatewayUnavailable,
    TokenLimitReached,
)
from bot.service.guard import Refusal
from bot.slack.blocks import (
    BADGES,
    FALLBACK_CHARS,
    Card,
    CardContext,
    context_block,
    mrkdwn,
    retry_actions,
)
from bot.slack.mrkdwn import clip, clip_plain, date_token, escape
from bot.slack.parse import COMMAND_EXAMPLE, URL_EXAMPLE
from bot.slack.pasted import LABELLED_EXAMPLE

USAGE = escape("/qrinfo <merchant no.> <QR code id or URL>")
_DECORATION = re.compile(r":[a-z_]+: ")  # an emoji code at the start of our own texts
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")

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
            SectionBlock(text=mrkdwn(command)),
            SectionBlock(text=mrkdwn(without_typing)),
            SectionBlock(text=mrkdwn(buttons)),
            ContextBlock(
                elements=[mrkdwn(f"{BADGES[env]}  ·  connected to {ENV_DESCRIPTIONS[env]}")]
            ),
        ],
    )


def input_error_card(problem: str, env: Environment) -> Card:
    """Input we rejected locally: what is wrong, what is expected, an example."""
    text = f":warning: {clip(problem, 1500)}\nExpected `{USAGE}`, for example\n`{COMMAND_EXAMPLE}`"
    return Card(
        text=clip(f"Cannot look that up: {problem}", FALLBACK_CHARS),
        blocks=[
            SectionBlock(text=mrkdwn(text)),
            ContextBlock(elements=[mrkdwn(f"{BADGES[env]}  ·  nothing was sent to the gateway")]),
        ],
    )


def rejected_card(error: GatewayRejected, ctx: CardContext, *, retry: str | None = None) -> Card:
    """The gateway said no: its code, what that means, what to do."""
    text = (
        f":no_entry: *{clip(error.code, 100)}*: {escape(error.explanation)}\n"
        f"*What to do:* {escape(error.next_step)}"
    )
    if error.gateway_message:
        text += f"\n_Gateway said:_ {clip(error.gateway_message, 1000)}"
    return Card(
        text=clip(f"Gateway answered {error.code}: {error.explanation}", FALLBACK_CHARS),
        blocks=[SectionBlock(text=mrkdwn(text)), *retry_actions(retry), context_block(ctx)],
    )


def unavailable_card(
    error: GatewayUnavailable, ctx: CardContext, *, retry: str | None = None
) -> Card:
    """No usable answer: paused, busy, or what happened with attempts and time; try again."""
    if isinstance(error, GatewayCircuitOpen):
        since = f" since {date_token(error.failing_since)}" if error.failing_since else ""
        fallback = "The gateway keeps failing; lookups are paused for a moment."
        text = (
            f":rotating_light: *The gateway has been failing{since}.*\n"
            f"Lookups are paused for {error.retry_in:.0f} s so it can recover; try again then."
        )
    elif isinstance(error, GatewayBusy):
        fallback = "The gateway is busy; try again in a moment."
        text = (
            ":hourglass: *The gateway is busy, try again in a moment.*\n"
            "Many lookups are running at once; this one was not sent so the others can finish."
        )
    else:
        plural = "" if error.attempts == 1 else "s"
        fallback = "The Chinaums gateway is not answering; try again in a moment."
        text = (
            ":hourglass: *The Chinaums gateway did not give a usable answer.*\n"
            f"{clip(error.reason, 1500)}\n"
            f"{error.attempts} attempt{plural} in {error.elapsed:.1f} s. Try again in a moment."
        )
    return Card(
        text=fallback,
        blocks=[SectionBlock(text=mrkdwn(text)), *retry_actions(retry), context_block(ctx)],
    )


def auth_error_card(error: GatewayAuthError, ctx: CardContext, *, retry: str | None = None) -> Card:
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
        blocks=[SectionBlock(text=mrkdwn(text)), *retry_actions(retry), context_block(ctx)],
    )


def refused_card(refusal: Refusal, env: Environment, *, hint: str = "") -> Card:
    """Not allowed (where to ask: *hint*, a channel id or text), or over a limit (when to retry)."""
    text = _refusal_text(refusal, hint)
    return Card(
        text=clip_plain(_DECORATION.sub("", text), FALLBACK_CHARS),
        blocks=[
            SectionBlock(text=mrkdwn(text)),
            ContextBlock(elements=[mrkdwn(f"{BADGES[env]}  ·  nothing was sent to the gateway")]),
        ],
    )


def _refusal_text(refusal: Refusal, hint: str) -> str:
    wait = math.ceil(refusal.wait)
    if refusal.kind == "user-rate":
        return (
            f":stopwatch: You have made {refusal.limit} lookups in the last minute. "
            f"Try again in {wait} s."
        )
    if refusal.kind == "workspace-rate":
        return (
            f":stopwatch: This workspace has made {refusal.limit} lookups in the last minute, "
            f"the most allowed. Try again in {wait} s."
        )
    if not hint:
        where = "ask the bot's operator"
    elif _CHANNEL_ID.fullmatch(hint):
        where = f"ask in <#{hint}>"
    else:
        where = f"ask in {escape(hint)}"
    return f":lock: You are not allowed to look up QR codes here; {where}."


def share_failed_card(reason: str) -> Card:
    """Sharing did not work; the ephemeral card is still there."""
    text = (
        f":warning: *The card could not be shared in the channel:* {clip(reason, 500)}\n"
        "Your card is unchanged; run `/qrinfo` again to get a fresh one to share."
    )
    return Card(
        text="The card could not be shared in the channel.",
        blocks=[SectionBlock(text=mrkdwn(text))],
    )


def unreadable_request_card(reason: str) -> Card:
    """Slack sent something this bot cannot read (a request Slack itself would not send)."""
    text = (
        f":warning: *This request could not be read:* {clip(reason, 300)}.\n"
        "Nothing was looked up. Try again; if it keeps happening, tell the bot's operator."
    )
    return Card(
        text="This request could not be read; nothing was looked up.",
        blocks=[SectionBlock(text=mrkdwn(text))],
    )


def unexpected_error_card(reference: str) -> Card:
    """Anything unexpected: a short apology with a correlation id."""
    text = (
        ":x: Sorry, something went wrong on our side while looking that up.\n"
        f"If it happens again, tell the bot's operator and quote `{clip(reference, 100)}`."
    )
    return Card(text="Sorry, something went wrong.", blocks=[SectionBlock(text=mrkdwn(text))])
