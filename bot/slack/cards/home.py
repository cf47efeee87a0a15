"""Pure: the App Home tab. What the bot does, the lookup form's button, the reader's own
last lookups (a Details button each) and, for an operator, the gateways' state as
`/qrinfo status` shows it.

Every string from outside is escaped and clipped, so the view stays within Block Kit's
limits (100 blocks a home view) whatever the history holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import P, Translator
from bot.service.history import HISTORY_KEPT, KEEP_SECONDS, Looked
from bot.service.status import Status
from bot.slack.cards.block_kit import (
    Json,
    actions,
    button,
    context,
    divider,
    header,
    mrkdwn,
    section,
)
from bot.slack.cards.blocks import SECTION_CHARS, badge, money
from bot.slack.cards.mrkdwn import clip, clip_plain, date_token
from bot.slack.cards.ops import outcome_name, status_card
from bot.slack.cards.payment import status_word
from bot.slack.reading.button import encode_button_value

HOME_OPEN_FORM_ACTION = "home_open_form"
HOME_DETAILS_ACTION = "home_details"
MAX_HOME_BLOCKS = 100  # Slack's limit for a home tab (a message: 50)


def home_view(entries: Sequence[Looked], tr: Translator, *, status: Status | None = None) -> Json:
    """The home tab for one reader: *entries* are their own lookups, newest first;
    *status* only for an operator."""
    blocks = [*_about(tr), divider(), *_recent(entries, tr)]
    if status is not None:
        blocks += [divider(), *status_card(status, tr).blocks]
    return {"blocks": blocks[:MAX_HOME_BLOCKS], "type": "home"}  # as View.to_dict() has it


def _about(tr: Translator) -> list[Json]:
    """What the bot does in two lines, and the form's button."""
    about = tr(
        "*qrinfo* shows what a Chinaums (银联商务) payment QR code holds: merchant, amount, "
        "goods, expiry.\nType `/qrinfo <merchant no.> <QR code id or URL>` anywhere, "
        "or open the form."
    )
    form = button(tr("Look up a QR code"), HOME_OPEN_FORM_ACTION, style="primary")
    return [section(mrkdwn(about)), actions("home", [form])]


def _recent(entries: Sequence[Looked], tr: Translator) -> list[Json]:
    """The reader's last lookups, a line and a Details button each; or that there are none."""
    shown = list(entries)[:HISTORY_KEPT]
    blocks = [header(tr("Your recent lookups"))]
    if not shown:
        blocks.append(section(mrkdwn(tr("No lookups yet."))))
    blocks += [_line(entry, tr) for entry in shown]
    note = tr(
        P(
            "Only you see this list: your last {count} lookup of the last {days} days.",
            "Only you see this list: your last {count} lookups of the last {days} days.",
            HISTORY_KEPT,
            days=KEEP_SECONDS // 86_400,
        )
    )
    blocks.append(context([mrkdwn(note)]))
    return blocks


def _line(entry: Looked, tr: Translator) -> Json:
    """One lookup: how it ended (amount, merchant, payment), the code, where and when."""
    where = "  ·  ".join(
        [
            f"`{clip(entry.qr_code_id, 60)}`",
            tr("mid {mid}", mid=f"`{clip(entry.mid, 40)}`"),
            badge(entry.env, tr),
            date_token(entry.at),
        ]
    )
    text = clip_plain(f"{_how(entry, tr)}\n{where}", SECTION_CHARS)
    details = button(tr("Details"), HOME_DETAILS_ACTION, value=encode_button_value(entry.ref))
    return section(mrkdwn(text), accessory=details)


def _how(entry: Looked, tr: Translator) -> str:
    if entry.outcome != "found":
        icon = ":lock:" if entry.outcome == "refused" else ":grey_question:"
        return f"{icon} {outcome_name(entry.outcome, tr)}"
    amount = money(entry.amount_fen) if entry.amount_fen is not None else tr("no amount")
    merchant = clip(entry.merchant, 120) if entry.merchant else tr("(merchant name not given)")
    parts = [f":white_check_mark: *{amount}*", merchant]
    if entry.payment is not None:
        parts.append(f"*{status_word(entry.payment, tr)}*")
    return "  ·  ".join(parts)
