"""Pure: several QR codes' outcomes -> one compact card, a line each with a Details button.

Every string from the gateway is escaped and clipped, so the card stays within Block Kit's
limits for any replies (at most MAX_BATCH lines: a section each, well under 50 blocks).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from bot.gateway.config import Environment
from bot.gateway.errors import GatewayRejected
from bot.gateway.models import QrCodeInfo
from bot.i18n import N_, P, T, Translator
from bot.service.lookup import Outcome
from bot.slack.cards.block_kit import Json, button, context, mrkdwn, section
from bot.slack.cards.blocks import (
    FALLBACK_CHARS,
    SECTION_CHARS,
    Card,
    badge,
    money,
)
from bot.slack.cards.card import EXPIRING_SOON
from bot.slack.cards.mrkdwn import clip, clip_plain, date_token
from bot.slack.cards.notices import refused_card, settings_list
from bot.slack.cards.payment import payment_word
from bot.slack.names import ENV_NAMES
from bot.slack.reading.button import encode_button_value

DETAILS_ACTION = "code_details"
LINE_CHARS = 600  # a code's line: the id, its status, amount, merchant and expiry

# How a lookup that found nothing is summed up: not found (the gateway said no), failed
# (no usable answer), or not looked up (a rate limit, no access, no gateway).
_FAILED_TEXT = {
    "busy": N_(":warning: gateway busy, try again"),
    "paused": N_(":double_vertical_bar: gateway calls paused (it has been failing)"),
    "unavailable": N_(":warning: no answer from the gateway"),
    "misconfigured": N_(":wrench: the bot cannot query the gateway (tell its operator)"),
    "invalid": N_(":warning: not a lookup the gateway takes"),
}


def batch_card(
    outcomes: Sequence[Outcome],
    tr: Translator,
    *,
    now: datetime,
    duplicates: int = 0,
    hint: str = "",
) -> Card:
    """One line per code (status, amount, merchant, expiry) with its Details button, and a
    summary; what a rate limit left out is said. No access at all: the refusal alone."""
    if outcomes and all(o.refusal is not None and o.refusal.kind == "access" for o in outcomes):
        refusal = outcomes[0].refusal
        assert refusal is not None  # noqa: S101  # just checked
        return refused_card(refusal, outcomes[0].env, tr, hint=hint)
    envs = list(dict.fromkeys(o.env for o in outcomes))
    groups = Counter(_group(o) for o in outcomes)
    blocks: list[Json] = [section(mrkdwn(_heading(outcomes, groups, tr)))]
    blocks += [_code_section(o, tr, now=now, show_env=len(envs) > 1) for o in outcomes]
    notes = _notes(outcomes, groups, duplicates, tr)
    if notes:
        blocks.append(section(mrkdwn(clip_plain("\n".join(notes), SECTION_CHARS))))
    blocks.append(_footer(envs, now, tr))
    plain = _summary(groups, tr, plain=True)
    fallback = tr(
        P("{count} QR code: {summary}", "{count} QR codes: {summary}", len(outcomes), summary=plain)
    )
    return Card(text=clip_plain(fallback, FALLBACK_CHARS), blocks=blocks)


def _heading(outcomes: Sequence[Outcome], groups: Counter[str], tr: Translator) -> str:
    """How many codes of which merchant, and how many found, not found, failed, left out."""
    mid = outcomes[0].ref.mid if outcomes else ""
    title = tr(
        P(
            "*{count} QR code* of merchant `{mid}`",
            "*{count} QR codes* of merchant `{mid}`",
            len(outcomes),
            mid=clip(mid, 40),
        )
    )
    return f"{title}\n{_summary(groups, tr)}"


def _code_section(outcome: Outcome, tr: Translator, *, now: datetime, show_env: bool) -> Json:
    """One code's line, with the Details button that shows its full card."""
    line = _line(outcome, tr, now=now, show_env=show_env)
    details = button(tr("Details"), DETAILS_ACTION, value=encode_button_value(outcome.ref))
    return section(mrkdwn(clip_plain(line, LINE_CHARS)), accessory=details)


def _footer(envs: list[Environment], now: datetime, tr: Translator) -> Json:
    """The gateways' badges, and when the codes were looked up."""
    footer = [badge(env, tr) for env in envs] + [
        tr("looked up {when}", when=date_token(now, fmt="{date_short} {time_secs}"))
    ]
    return context([mrkdwn(part) for part in footer])


def _group(outcome: Outcome) -> str:
    """found | not-found | failed | skipped (not looked up)."""
    kind = outcome.kind
    if kind == "found":
        return "found"
    if outcome.answer is not None and isinstance(outcome.answer.result, GatewayRejected):
        return "not-found"
    return "skipped" if kind in ("refused", "unconfigured") else "failed"


_GROUPS: dict[str, tuple[str, str]] = {
    "found": (":white_check_mark:", N_("{count} found")),
    "not-found": (":grey_question:", N_("{count} not found")),
    "failed": (":warning:", N_("{count} failed")),
    "skipped": (":stopwatch:", N_("{count} not looked up")),
}


def _summary(groups: Counter[str], tr: Translator, *, plain: bool = False) -> str:
    parts = []
    for group, (emoji, message) in _GROUPS.items():
        if groups[group]:
            text = tr(T(message, count=groups[group]))
            parts.append(text if plain else f"{emoji} {text}")
    return "  ·  ".join(parts)


def _line(outcome: Outcome, tr: Translator, *, now: datetime, show_env: bool) -> str:
    code = f"`{clip(outcome.ref.qr_code_id, 40)}`"
    status = _status(outcome, tr, now)
    env = f"  ·  {badge(outcome.env, tr)}" if show_env else ""
    return f"{code}  {status}{env}"


def _status(outcome: Outcome, tr: Translator, now: datetime) -> str:
    if outcome.missing is not None:
        return tr(
            ":construction: not looked up: this bot is not connected to {env}",
            env=tr(ENV_NAMES[outcome.missing.env]),
        )
    if outcome.refusal is not None:
        if outcome.refusal.kind == "access":
            return tr(":lock: not looked up: not allowed here")
        return tr(":stopwatch: not looked up: over the rate limit")
    assert outcome.answer is not None  # noqa: S101  # an outcome has one of the three
    result = outcome.answer.result
    if isinstance(result, QrCodeInfo):
        paid = payment_word(outcome.answer.payment, tr)
        return _found(result, tr, now) + (f"  ·  *{paid}*" if paid else "")
    if isinstance(result, GatewayRejected):
        return tr(
            ":grey_question: `{code}` {explanation}",
            code=clip(" ".join(result.code.split()), 60),  # on this line, whatever was sent
            explanation=clip(" ".join(tr(result.explanation).split()), 200),
        )
    # busy | paused | unavailable | misconfigured | invalid (the client's own last check)
    return tr(_FAILED_TEXT[outcome.kind])


def _found(info: QrCodeInfo, tr: Translator, now: datetime) -> str:
    amount = money(info.total_amount) if info.total_amount is not None else tr("no amount")
    # One line per code: the gateway's line breaks must not draw lines of their own.
    name = " ".join(info.mer_name.split()) if info.mer_name else ""
    merchant = clip(name, 120) if name else tr("(merchant name not given)")
    parts = [f":white_check_mark: *{amount}*", merchant]
    expiry = info.expire_time
    if expiry is None:
        parts.append(tr("no expiry given"))
    elif expiry <= now:
        parts.append(tr(":no_entry: expired {when}", when=date_token(expiry)))
    elif expiry - now <= EXPIRING_SOON:
        parts.append(tr(":hourglass_flowing_sand: expires {when}", when=date_token(expiry)))
    else:
        parts.append(tr("expires {when}", when=date_token(expiry)))
    return "  ·  ".join(parts)


def _notes(
    outcomes: Sequence[Outcome], groups: Counter[str], duplicates: int, tr: Translator
) -> list[str]:
    """What the lines alone do not say: codes a rate limit left out, environments not
    connected, repeats looked up once, and what Details does."""
    notes = [*_rate_limited(outcomes, tr), *_not_connected(outcomes, tr)]
    if duplicates:
        notes.append(
            tr(
                P(
                    "{count} repeated code was looked up once.",
                    "{count} repeated codes were looked up once.",
                    duplicates,
                )
            )
        )
    if groups["found"] and len(outcomes) > 1:
        notes.append(tr("_Details_ shows a code's full card, with its buttons."))
    return notes


def _rate_limited(outcomes: Sequence[Outcome], tr: Translator) -> list[str]:
    """A note on the codes a rate limit left out, and when to try again; none if none."""
    limited = [o for o in outcomes if o.refusal is not None and o.refusal.kind != "access"]
    if not limited:
        return []
    wait = max(math.ceil(o.refusal.wait) for o in limited if o.refusal is not None)
    return [
        tr(
            P(
                ":stopwatch: {count} code was not looked up: the rate limit was reached. "
                "Try again in {seconds} s (its Details button looks it up then).",
                ":stopwatch: {count} codes were not looked up: the rate limit was reached. "
                "Try again in {seconds} s (their Details buttons look them up then).",
                len(limited),
                seconds=wait,
            )
        )
    ]


def _not_connected(outcomes: Sequence[Outcome], tr: Translator) -> list[str]:
    """A note for each environment this bot is not connected to, naming its settings."""
    return [
        tr(
            ":construction: This bot is not connected to {env}; its operator can connect it "
            "with {settings}.",
            env=tr(ENV_NAMES[missing.env]),
            settings=settings_list(missing.settings, tr),
        )
        for missing in dict.fromkeys(
            o.missing for o in outcomes if o.missing and o.missing.settings
        )
    ]
