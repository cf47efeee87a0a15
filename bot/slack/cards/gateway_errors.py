"""Pure: the cards for a lookup the gateway did not answer with a code: it said no (a
business code), gave no usable answer (paused, busy, not answering), or cannot be queried
(a problem on our side). Each offers Retry when the lookup is worth repeating.

May touch the gateway's errors, i18n and the other cards modules;
nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    TokenLimitReached,
)
from bot.i18n import P, T, Translator
from bot.slack.cards.block_kit import mrkdwn, section
from bot.slack.cards.blocks import (
    FALLBACK_CHARS,
    Card,
    CardContext,
    context_block,
    retry_actions,
)
from bot.slack.cards.mrkdwn import clip, date_token, escape


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
        blocks=[section(mrkdwn(text)), *retry_actions(retry, ctx), context_block(ctx)],
    )


def unavailable_card(
    error: GatewayUnavailable, ctx: CardContext, *, retry: str | None = None
) -> Card:
    """No usable answer: paused, busy, or what happened with attempts and time; try again."""
    if isinstance(error, GatewayBreakerOpen):
        fallback, text = _paused(error, ctx.tr)
    elif isinstance(error, GatewayBusy):
        fallback, text = _busy(ctx.tr)
    else:
        fallback, text = _not_answering(error, ctx.tr)
    return Card(
        text=fallback,
        blocks=[section(mrkdwn(text)), *retry_actions(retry, ctx), context_block(ctx)],
    )


def _paused(error: GatewayBreakerOpen, tr: Translator) -> tuple[str, str]:
    """(fallback, text): the breaker is open; since when, and for how long still."""
    headline = (
        tr(":rotating_light: *The gateway has been failing since {when}.*",
           when=date_token(error.failing_since))
        if error.failing_since
        else tr(":rotating_light: *The gateway has been failing.*")
    )  # fmt: skip
    pause = tr(
        "Lookups are paused for {seconds} s so it can recover; try again then.",
        seconds=f"{error.retry_in:.0f}",
    )
    fallback = tr("The gateway keeps failing; lookups are paused for a moment.")
    return fallback, headline + "\n" + pause


def _busy(tr: Translator) -> tuple[str, str]:
    """(fallback, text): too many lookups at once; this one was not sent."""
    text = tr(
        ":hourglass: *The gateway is busy, try again in a moment.*\n"
        "Many lookups are running at once; this one was not sent so the others can finish."
    )
    return tr("The gateway is busy; try again in a moment."), text


def _not_answering(error: GatewayUnavailable, tr: Translator) -> tuple[str, str]:
    """(fallback, text): no usable answer, in the network's own words, after how many
    attempts in how long."""
    attempts = P(
        "{count} attempt in {seconds} s. Try again in a moment.",
        "{count} attempts in {seconds} s. Try again in a moment.",
        error.attempts,
        seconds=f"{error.elapsed:.1f}",
    )
    text = tr(
        ":hourglass: *The Chinaums gateway did not give a usable answer.*\n{reason}\n{attempts}",
        reason=clip(error.reason, 1500),  # the network's own words, as logged
        attempts=attempts,
    )
    return tr("The Chinaums gateway is not answering; try again in a moment."), text


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
        blocks=[section(mrkdwn(text)), *retry_actions(retry, ctx), context_block(ctx)],
    )
