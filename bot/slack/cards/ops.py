"""Pure: the cards only operators see: `/qrinfo status` and a lookup's raw reply."""

from __future__ import annotations

import math
from datetime import datetime

from bot.i18n import N_, P, T, Text, Translator
from bot.service.raw import RawReply
from bot.service.recent import RecentSummary
from bot.service.status import GatewayStatus, Status
from bot.slack.cards.block_kit import Json, context, header, mrkdwn, section
from bot.slack.cards.blocks import (
    FALLBACK_CHARS,
    FIELD_CHARS,
    SECTION_CHARS,
    Card,
    badge,
)
from bot.slack.cards.mrkdwn import ESCAPES, clip, clip_plain, date_token

RAW_SECTIONS = 4  # the reply's JSON over at most this many sections of one code block each
_CODE_CHARS = SECTION_CHARS - 20  # room for the fences


def status_card(status: Status, tr: Translator) -> Card:
    """Each gateway, its breaker and token; the last minutes' lookups; the bot itself."""
    bot = [
        (tr("Version"), f"`{clip(status.version, 100)}`"),
        (tr("Up for"), tr(duration(status.uptime))),
        (tr("Shared state"), tr(_FLEET[status.fleet])),
    ]
    recent = status.recent
    blocks: list[Json] = [
        header(tr("qrinfo status")),
        *(_gateway_section(gateway, status, tr) for gateway in status.gateways),
        section(fields=_fields(bot)),
        section(mrkdwn(clip_plain(_recent_text(recent, tr), SECTION_CHARS))),
        context([mrkdwn(tr("as of {when}", when=date_token(status.now)))]),
    ]
    return Card(text=tr("qrinfo status"), blocks=blocks)


def _gateway_section(gateway: GatewayStatus, status: Status, tr: Translator) -> Json:
    return section(
        fields=_fields(
            [
                (tr("Gateway"), f"{badge(gateway.env, tr)}\n{clip(gateway.gateway_url, 500)}"),
                (tr("Auth"), f"`{gateway.auth}`"),
                (tr("Breaker"), tr(_breaker(gateway, status.now))),
                (tr("Access token"), tr(_token(gateway))),
            ]
        )
    )


def _fields(pairs: list[tuple[str, str]]) -> list[Json]:
    return [mrkdwn(clip_plain(f"*{k}*\n{v}", FIELD_CHARS)) for k, v in pairs]


_FLEET = {
    None: N_("this process only"),
    "redis": N_("in Redis, with the other replicas"),
    "degraded": N_(":warning: Redis lost: this replica on its own"),
}


def _breaker(gateway: GatewayStatus, now: datetime) -> Text:
    breaker = gateway.breaker
    if breaker.state == "closed":
        if breaker.closed_since is None:
            return T(":large_green_circle: closed")
        return T(":large_green_circle: closed since {when}", when=date_token(breaker.closed_since))
    if breaker.state == "half-open":
        return T(":large_yellow_circle: half-open: the next lookup is the trial call")
    return T(
        ":red_circle: open since {when}: gateway calls paused, a trial call in {seconds} s",
        when=date_token(breaker.opened_at or now),
        seconds=math.ceil(breaker.retry_in),
    )


def _token(gateway: GatewayStatus) -> Text:
    if gateway.auth != "token":
        return T("not used (a signature per request)")
    if gateway.token_expires_in is None:
        return T("none held (one is taken at the next lookup)")
    if gateway.token_expires_in <= 0:
        return T("expired")
    return T("expires in {duration}", duration=duration(gateway.token_expires_in))


def duration(seconds: float) -> Text:
    """3 d 4 h, 2 h 5 min, 7 min, 12 s."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return T("{days} d {hours} h", days=days, hours=hours)
    if hours:
        return T("{hours} h {minutes} min", hours=hours, minutes=minutes)
    if minutes:
        return T("{minutes} min", minutes=minutes)
    return T("{seconds} s", seconds=secs)


# How each outcome is named on the operators' cards (a gateway code as itself).
_OUTCOME_NAMES = {
    "found": N_("found"),
    "refused": N_("refused"),
    "busy": N_("busy"),
    "paused": N_("paused"),
    "unavailable": N_("unavailable"),
    "misconfigured": N_("misconfigured"),
    "invalid": N_("invalid input"),
    "unconfigured": N_("environment not configured"),
}


def outcome_name(kind: str, tr: Translator) -> str:
    """An outcome in the reader's language; a gateway code as itself, in code style."""
    return tr(_OUTCOME_NAMES[kind]) if kind in _OUTCOME_NAMES else f"`{clip(kind, 40)}`"


def _recent_text(recent: RecentSummary, tr: Translator) -> str:
    lines = [tr("*The last {minutes} minutes*", minutes=recent.minutes)]
    if not recent.lookups:
        lines.append(tr("No lookups."))
    else:
        share = recent.found_share or 0.0
        lines.append(
            tr(
                P(
                    "{count} lookup, {found} found ({share} %)",
                    "{count} lookups, {found} found ({share} %)",
                    recent.lookups,
                    found=recent.found,
                    share=f"{share * 100:.0f}",
                )
            )
        )
    if recent.not_found:
        outcomes = list(recent.not_found.items())
        named = [f"{outcome_name(k, tr)} {n}" for k, n in outcomes[:20]]
        if len(outcomes) > 20:
            named.append(tr("and {count} more", count=len(outcomes) - 20))
        lines.append(tr("Not found or failed: {list}", list=" · ".join(named)))
    if recent.gateway_calls:
        lines.append(
            tr(
                P(
                    "Gateway: {count} call, p50 {p50} ms, p95 {p95} ms",
                    "Gateway: {count} calls, p50 {p50} ms, p95 {p95} ms",
                    recent.gateway_calls,
                    p50=f"{recent.gateway_p50_ms or 0:,.0f}",
                    p95=f"{recent.gateway_p95_ms or 0:,.0f}",
                )
            )
        )
    else:
        lines.append(tr("Gateway: no calls."))
    return "\n".join(lines)


def raw_reply_card(raw: RawReply, tr: Translator) -> Card:
    """The gateway's reply exactly as parsed, with the HTTP status, attempts and timings;
    then the same of the bills/query call that followed, when one did."""
    blocks: list[Json] = _call_blocks(raw, tr, tr("*Raw reply*"))
    if raw.payment is not None:
        blocks += _call_blocks(raw.payment, tr, tr("*Payment status: bills/query*"))
    blocks.append(context([mrkdwn(f"{badge(raw.env, tr)}  ·  {date_token(raw.answered_at)}")]))
    fallback = tr("Raw reply for msgId {msg_id}", msg_id=raw.msg_id)
    return Card(text=clip_plain(fallback, FALLBACK_CHARS), blocks=blocks)


def _call_blocks(raw: RawReply, tr: Translator, title: str) -> list[Json]:
    """One call: what it came to, each attempt, the reply."""
    answered = f"HTTP {raw.status}" if raw.status is not None else tr("no HTTP answer")
    summary = tr(
        "{title} · msgId `{msg_id}`\n{answered} · {outcome} · {ms} ms in all",
        title=title,
        msg_id=clip(raw.msg_id, 100),
        answered=answered,
        outcome=outcome_name(raw.outcome, tr),
        ms=f"{raw.duration_ms:,.0f}",
    )
    tries = [_try_line(n, t.status, t.ms, t.failure, tr) for n, t in enumerate(raw.tries, 1)]
    none = tr("No attempt reached the gateway.")
    attempts = tr("*Attempts*") + "\n" + ("\n".join(tries[:20]) if tries else none)
    return [
        section(mrkdwn(clip_plain(summary, SECTION_CHARS))),
        section(mrkdwn(clip_plain(attempts, SECTION_CHARS))),
        *_reply_sections(raw, tr),
    ]


def _try_line(n: int, status: int | None, ms: float, failure: str | None, tr: Translator) -> str:
    answered = f"HTTP {status}" if status is not None else tr("no HTTP answer")
    line = tr("{n}. {answered} · {ms} ms", n=n, answered=answered, ms=f"{ms:,.0f}")
    return line + (f" · {clip(failure, 300)}" if failure else "")


def _reply_sections(raw: RawReply, tr: Translator) -> list[Json]:
    if raw.text is None:
        return [section(mrkdwn(tr("The gateway sent no reply.")))]
    chunks, shown = code_chunks(raw.text, _CODE_CHARS, RAW_SECTIONS)
    blocks = [section(mrkdwn(f"```{chunk}```", verbatim=True)) for chunk in chunks]
    if shown < raw.length:
        note = tr(
            "Clipped: {shown} of {total} characters shown.",
            shown=f"{shown:,}",
            total=f"{raw.length:,}",
        )
        blocks.append(context([mrkdwn(note)]))
    return blocks


def code_chunks(text: str, limit: int, most: int) -> tuple[list[str], int]:
    """*text* for code blocks: escaped (Slack reads & < > even there), no run of backticks
    that could close the block, in at most *most* chunks of at most *limit* characters,
    never cut inside an entity; and how many characters of *text* they show."""
    chunks: list[str] = []
    piece: list[str] = []
    used = shown = 0
    previous = ""
    for char in text:
        out = ESCAPES.get(char, char)
        if char == "`" and previous == "`":
            out = "\u200b`"  # a zero-width space between backticks: no fence
        if used + len(out) > limit:
            chunks.append("".join(piece))
            if len(chunks) == most:
                return chunks, shown
            piece, used = [], 0
        piece.append(out)
        used += len(out)
        shown += 1
        previous = char
    if piece and len(chunks) < most:
        chunks.append("".join(piece))
    return chunks, shown


def raw_gone_card(tr: Translator) -> Card:
    """The reply is no longer kept (or this replica never had it)."""
    text = tr(
        ":hourglass: That reply is no longer kept (the bot keeps the last few hundred). "
        "Refresh the card, then ask for its raw reply again."
    )
    return Card(text=clip_plain(text, FALLBACK_CHARS), blocks=[section(mrkdwn(text))])


def operators_only_card(tr: Translator) -> Card:
    """The usual refusal, for what only the bot's operators may see."""
    text = tr(
        ":lock: Only the bot's operators can see this; ask whoever runs the bot "
        "to add you to QRINFO_OPERATORS."
    )
    return Card(text=clip_plain(text, FALLBACK_CHARS), blocks=[section(mrkdwn(text))])
