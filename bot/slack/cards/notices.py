"""Pure: what the bot says that is neither a QR code nor the gateway's failure: input it
rejected, a gateway not connected, a refusal, and what went wrong around a card (sharing,
the QR image, an unreadable request, anything unexpected). The help card is usage.py; the
gateway's failures are gateway_errors.py.

May touch the service's refusals, i18n, the other cards modules
and reading's examples; nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

import math
import re

from bot.gateway.config import Environment
from bot.i18n import P, T, Text, Translator
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.slack.cards.block_kit import Json, context, mrkdwn, section
from bot.slack.cards.blocks import FALLBACK_CHARS, Card, badge
from bot.slack.cards.mrkdwn import clip, clip_plain, escape
from bot.slack.cards.usage import usage
from bot.slack.names import ENV_NAMES
from bot.slack.reading.command import COMMAND_EXAMPLE

_DECORATION = re.compile(r":[a-z_]+: ")  # an emoji code at the start of our own texts
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


def _nothing_sent(env: Environment, tr: Translator) -> Json:
    footer = tr("{badge}  ·  nothing was sent to the gateway", badge=badge(env, tr))
    return context([mrkdwn(footer)])


def input_error_card(problem: Text, env: Environment, tr: Translator) -> Card:
    """Input we rejected locally: what is wrong, what is expected, an example."""
    said = tr(problem)
    text = tr(
        ":warning: {problem}\nExpected `{usage}`, for example\n`{example}`",
        problem=clip(said, 1500),
        usage=usage(tr),
        example=COMMAND_EXAMPLE,
    )
    return Card(
        text=clip(tr("Cannot look that up: {problem}", problem=said), FALLBACK_CHARS),
        blocks=[section(mrkdwn(text)), _nothing_sent(env, tr)],
    )


def unconfigured_card(missing: MissingGateway, tr: Translator) -> Card:
    """A lookup for an environment this bot has no gateway for: which, and what configures it.
    A card from the sandbox the bot no longer runs on (its buttons name it) says just that."""
    name = tr(ENV_NAMES[missing.env])
    if not missing.settings:
        text = tr(
            ":hourglass: *This card is from {env}*, which this bot no longer uses, so nothing "
            "was looked up. Look the code up again with /qrinfo.",
            env=name,
        )
    else:
        text = tr(
            ":construction: *This bot is not connected to {env}*, so nothing was looked up.\n"
            "Its operator can connect it with {settings}; until then, ask the bot that serves "
            "{env}.",
            env=name,
            settings=settings_list(missing.settings, tr),
        )
    return Card(
        text=tr("This bot is not connected to {env}.", env=name),
        blocks=[section(mrkdwn(text)), _nothing_sent(missing.env, tr)],
    )


def settings_list(names: tuple[str, ...], tr: Translator) -> str:
    """`A` and `B`: variable names in the reader's language."""
    coded = [f"`{escape(name)}`" for name in names]
    if len(coded) == 2:
        return tr("{first} and {second}", first=coded[0], second=coded[1])
    return ", ".join(coded)


def refused_card(refusal: Refusal, env: Environment, tr: Translator, *, hint: str = "") -> Card:
    """Not allowed (where to ask: *hint*, a channel id or text), or over a limit (when to retry)."""
    text = tr(_refusal_text(refusal, hint))
    return Card(
        text=clip_plain(_DECORATION.sub("", text), FALLBACK_CHARS),
        blocks=[section(mrkdwn(text)), _nothing_sent(env, tr)],
    )


def _refusal_text(refusal: Refusal, hint: str) -> Text:
    wait = math.ceil(refusal.wait)
    if refusal.kind == "user-rate":
        return P(
            ":stopwatch: You have made {count} lookup in the last minute. "
            "Try again in {seconds} s.",
            ":stopwatch: You have made {count} lookups in the last minute. "
            "Try again in {seconds} s.",
            refusal.limit,
            seconds=wait,
        )
    if refusal.kind == "workspace-rate":
        return P(
            ":stopwatch: This workspace has made {count} lookup in the last minute, "
            "the most allowed. Try again in {seconds} s.",
            ":stopwatch: This workspace has made {count} lookups in the last minute, "
            "the most allowed. Try again in {seconds} s.",
            refusal.limit,
            seconds=wait,
        )
    if not hint:
        return T(":lock: You are not allowed to look up QR codes here; ask the bot's operator.")
    where = f"<#{hint}>" if _CHANNEL_ID.fullmatch(hint) else escape(hint)
    return T(":lock: You are not allowed to look up QR codes here; ask in {where}.", where=where)


def share_failed_card(reason: Text | str, tr: Translator) -> Card:
    """Sharing did not work (*reason*: ours, or Slack's own words); the private card stays."""
    said = tr(reason) if isinstance(reason, Text) else reason
    text = tr(
        ":warning: *The card could not be shared in the channel:* {reason}\n"
        "Your card is unchanged; run `/qrinfo` again to get a fresh one to share.",
        reason=clip(said, 500),
    )
    return Card(
        text=tr("The card could not be shared in the channel."),
        blocks=[section(mrkdwn(text))],
    )


def qr_not_drawn_card(has_url: bool, tr: Translator) -> Card:
    """The code was found, but its URL is not one the bot draws (or there is none)."""
    reason = (
        T("its URL is not an https URL on the provider's QR hosts")
        if has_url
        else T("the gateway gave no QR URL")
    )
    text = tr(":warning: *No QR image for this code:* {reason}.", reason=reason)
    return Card(text=tr("No QR image for this code."), blocks=[section(mrkdwn(text))])


def qr_not_sent_card(refused: str | None, tr: Translator) -> Card:
    """The QR image did not reach the clicker's DM: Slack *refused* (its error code), or gave
    no answer (None)."""
    reason = (
        T(
            "Slack refused it ({code}). The bot may need to be reinstalled with the "
            "files:write and im:write scopes: tell the bot's operator.",
            code=clip(refused, 100),
        )
        if refused is not None
        else T("Slack did not answer; try again in a moment.")
    )
    text = tr(
        ":warning: *The QR code could not be sent to your direct messages.* {reason}",
        reason=reason,
    )
    return Card(
        text=tr("The QR code could not be sent to your direct messages."),
        blocks=[section(mrkdwn(text))],
    )


def unreadable_request_card(reason: str, tr: Translator) -> Card:
    """Slack sent something this bot cannot read (a request Slack itself would not send)."""
    text = tr(
        ":warning: *This request could not be read:* {reason}.\n"
        "Nothing was looked up. Try again; if it keeps happening, tell the bot's operator.",
        reason=clip(reason, 300),  # the front door's own words, as logged
    )
    return Card(
        text=tr("This request could not be read; nothing was looked up."),
        blocks=[section(mrkdwn(text))],
    )


def unexpected_error_card(reference: str, tr: Translator) -> Card:
    """Anything unexpected: a short apology with a correlation id."""
    text = tr(
        ":x: Sorry, something went wrong on our side while looking that up.\n"
        "If it happens again, tell the bot's operator and quote `{reference}`.",
        reference=clip(reference, 100),
    )
    return Card(text=tr("Sorry, something went wrong."), blocks=[section(mrkdwn(text))])
