"""Pure: everything the bot says that is not a QR code: help, refusals and errors."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from slack_sdk.models.blocks import ContextBlock, SectionBlock

from bot.gateway.config import Environment
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    TokenLimitReached,
)
from bot.i18n import N_, P, T, Text, Translator
from bot.service.gateways import MissingGateway
from bot.service.guard import Refusal
from bot.service.lookup import MAX_BATCH
from bot.slack.cards.blocks import (
    FALLBACK_CHARS,
    Card,
    CardContext,
    badge,
    context_block,
    mrkdwn,
    retry_actions,
)
from bot.slack.cards.mrkdwn import clip, clip_plain, date_token, escape
from bot.slack.names import ENV_NAMES
from bot.slack.reading.checked import URL_EXAMPLE
from bot.slack.reading.command import COMMAND_EXAMPLE
from bot.slack.reading.pasted import LABELLED_EXAMPLE

_DECORATION = re.compile(r":[a-z_]+: ")  # an emoji code at the start of our own texts
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")

_ENV_DESCRIPTIONS: dict[str, str] = {
    "sandbox": N_("the built-in sandbox gateway (simulated codes, no real merchant data)"),
    "test": N_("the provider's test gateway"),
    "prod": N_("the production gateway"),
}


def usage(tr: Translator) -> str:
    """The command's shape, in the reader's language (escaped: it has angle brackets)."""
    return escape(tr("/qrinfo <merchant no.> <QR code id or URL>"))


def usage_card(envs: Sequence[Environment], tr: Translator) -> Card:
    """Every way to use the bot, with an example, and which gateways it talks to (*envs*,
    the default first)."""
    env = envs[0]
    command = tr(
        "*Look inside a Chinaums payment QR code*\n"
        "• `{usage}`, for example\n   `{example}`\n"
        "• The QR code's URL works in place of its id: `{url}` "
        "or `https://qr.chinaums.com/bills/qrCode.do?id=…`, pasted as it is.\n"
        "• Text pasted from a chat works too, labels and all: `{labelled}`\n"
        "• `/qrinfo help` (or `/qrinfo 帮助`) shows this message.",
        usage=usage(tr),
        example=COMMAND_EXAMPLE,
        url=URL_EXAMPLE,
        labelled=LABELLED_EXAMPLE,
    )
    batch = escape(tr("/qrinfo <merchant no.> <id or URL> <id or URL> …"))
    command += "\n" + tr(
        "• Several codes of one merchant at once (up to {most}): `{batch}`, "
        "one card with a line and a *Details* button for each.",
        most=MAX_BATCH,
        batch=batch,
    )
    command += "\n" + tr(
        "• `/qrinfo test …` or `/qrinfo prod …` (or `测试` / `生产`) asks that environment's "
        "gateway; a pasted URL's host picks it too (`qr-test1/2/3.chinaums.com` are test)."
    )
    command += "\n" + tr(
        "• `/qrinfo status` (or `/qrinfo 状态`) shows the bot's and the gateway's state, "
        "to the bot's operators."
    )
    without_typing = tr(
        "*Without typing a command*\n"
        "• Shortcut *Look up a QR code* (the ⚡ menu or the search bar) opens a form.\n"
        "• On a message with a QR code URL: *More actions (⋮)* → *Look up this QR code* "
        "opens the form with the code filled in.\n"
        "Form results arrive in your direct messages with the bot."
    )
    buttons = tr(
        "*Buttons on a card*\n"
        "• *Open QR code* opens the code's URL (https only).\n"
        "• *Show QR code* sends you the code as an image in your direct messages with the bot, "
        "to look at and to try with a phone.\n"
        "• *Refresh* looks the code up again and updates the card in place.\n"
        "• *Share in channel* posts the card for everyone in the channel, with your name on it."
    )
    footer = tr(
        "{badge}  ·  connected to {gateway}",
        badge=badge(env, tr),
        gateway=Text(_ENV_DESCRIPTIONS[env]),
    )
    for other in envs[1:]:
        footer += "\n" + tr(
            "{badge}  ·  and to {gateway}",
            badge=badge(other, tr),
            gateway=Text(_ENV_DESCRIPTIONS[other]),
        )
    return Card(
        text=tr("Usage: {example}", example=COMMAND_EXAMPLE),
        blocks=[
            SectionBlock(text=mrkdwn(command)),
            SectionBlock(text=mrkdwn(without_typing)),
            SectionBlock(text=mrkdwn(buttons)),
            ContextBlock(elements=[mrkdwn(footer)]),
        ],
    )


def _nothing_sent(env: Environment, tr: Translator) -> ContextBlock:
    footer = tr("{badge}  ·  nothing was sent to the gateway", badge=badge(env, tr))
    return ContextBlock(elements=[mrkdwn(footer)])


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
        blocks=[SectionBlock(text=mrkdwn(text)), _nothing_sent(env, tr)],
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
        blocks=[SectionBlock(text=mrkdwn(text)), _nothing_sent(missing.env, tr)],
    )


def settings_list(names: tuple[str, ...], tr: Translator) -> str:
    """`A` and `B`: variable names in the reader's language."""
    coded = [f"`{escape(name)}`" for name in names]
    if len(coded) == 2:
        return tr("{first} and {second}", first=coded[0], second=coded[1])
    return ", ".join(coded)


def rejected_card(error: GatewayRejected, ctx: CardContext, *, retry: str | None = None) -> Card:
    """The gateway said no: its code, what that means, what to do."""
    tr = ctx.tr
    text = tr(
        ":no_entry: *{code}*: {explanation}\n*What to do:* {next_step}",
        code=clip(error.code, 100),
        explanation=escape(tr(error.explanation)),
        next_step=escape(tr(error.next_step)),
    )
    if error.gateway_message:
        text += "\n" + tr("_Gateway said:_ {message}", message=clip(error.gateway_message, 1000))
    fallback = tr(
        "Gateway answered {code}: {explanation}", code=error.code, explanation=tr(error.explanation)
    )
    return Card(
        text=clip(fallback, FALLBACK_CHARS),
        blocks=[SectionBlock(text=mrkdwn(text)), *retry_actions(retry, ctx), context_block(ctx)],
    )


def unavailable_card(
    error: GatewayUnavailable, ctx: CardContext, *, retry: str | None = None
) -> Card:
    """No usable answer: paused, busy, or what happened with attempts and time; try again."""
    tr = ctx.tr
    if isinstance(error, GatewayBreakerOpen):
        fallback = tr("The gateway keeps failing; lookups are paused for a moment.")
        headline = (
            tr(":rotating_light: *The gateway has been failing since {when}.*",
               when=date_token(error.failing_since))
            if error.failing_since
            else tr(":rotating_light: *The gateway has been failing.*")
        )  # fmt: skip
        text = (
            headline
            + "\n"
            + tr(
                "Lookups are paused for {seconds} s so it can recover; try again then.",
                seconds=f"{error.retry_in:.0f}",
            )
        )
    elif isinstance(error, GatewayBusy):
        fallback = tr("The gateway is busy; try again in a moment.")
        text = tr(
            ":hourglass: *The gateway is busy, try again in a moment.*\n"
            "Many lookups are running at once; this one was not sent so the others can finish."
        )
    else:
        fallback = tr("The Chinaums gateway is not answering; try again in a moment.")
        attempts = P(
            "{count} attempt in {seconds} s. Try again in a moment.",
            "{count} attempts in {seconds} s. Try again in a moment.",
            error.attempts,
            seconds=f"{error.elapsed:.1f}",
        )
        text = tr(
            ":hourglass: *The Chinaums gateway did not give a usable answer.*\n"
            "{reason}\n{attempts}",
            reason=clip(error.reason, 1500),  # the network's own words, as logged
            attempts=attempts,
        )
    return Card(
        text=fallback,
        blocks=[SectionBlock(text=mrkdwn(text)), *retry_actions(retry, ctx), context_block(ctx)],
    )


def auth_error_card(error: GatewayAuthError, ctx: CardContext, *, retry: str | None = None) -> Card:
    """A problem on our side (credentials, whitelist, clock): the operator must act."""
    tr = ctx.tr
    cause = (
        T(
            "Its app id already holds as many access tokens as the provider allows "
            "(other programs using the same app id hold them); they expire within the hour."
        )
        if isinstance(error, TokenLimitReached)
        else T("This is a configuration problem on our side, not a problem with the QR code.")
    )
    ask = (
        T("Please tell the bot's operator and quote msgId `{msg_id}`.",
          msg_id=clip(error.msg_id, 100))
        if error.msg_id
        else T("Please tell the bot's operator.")
    )  # fmt: skip
    text = tr(
        ":wrench: *The bot cannot query the gateway right now.* {cause}\n{ask}",
        cause=cause,
        ask=ask,
    )
    return Card(
        text=tr("The bot cannot query the gateway right now; please tell its operator."),
        blocks=[SectionBlock(text=mrkdwn(text)), *retry_actions(retry, ctx), context_block(ctx)],
    )


def refused_card(refusal: Refusal, env: Environment, tr: Translator, *, hint: str = "") -> Card:
    """Not allowed (where to ask: *hint*, a channel id or text), or over a limit (when to retry)."""
    text = tr(_refusal_text(refusal, hint))
    return Card(
        text=clip_plain(_DECORATION.sub("", text), FALLBACK_CHARS),
        blocks=[SectionBlock(text=mrkdwn(text)), _nothing_sent(env, tr)],
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
        blocks=[SectionBlock(text=mrkdwn(text))],
    )


def qr_not_drawn_card(has_url: bool, tr: Translator) -> Card:
    """The code was found, but its URL is not one the bot draws (or there is none)."""
    reason = (
        T("its URL is not an https URL on the provider's QR hosts")
        if has_url
        else T("the gateway gave no QR URL")
    )
    text = tr(":warning: *No QR image for this code:* {reason}.", reason=reason)
    return Card(text=tr("No QR image for this code."), blocks=[SectionBlock(text=mrkdwn(text))])


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
        blocks=[SectionBlock(text=mrkdwn(text))],
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
        blocks=[SectionBlock(text=mrkdwn(text))],
    )


def unexpected_error_card(reference: str, tr: Translator) -> Card:
    """Anything unexpected: a short apology with a correlation id."""
    text = tr(
        ":x: Sorry, something went wrong on our side while looking that up.\n"
        "If it happens again, tell the bot's operator and quote `{reference}`.",
        reference=clip(reference, 100),
    )
    return Card(text=tr("Sorry, something went wrong."), blocks=[SectionBlock(text=mrkdwn(text))])
