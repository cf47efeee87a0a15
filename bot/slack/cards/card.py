"""Pure: a found QR code -> its Block Kit card (its JSON, built by block_kit.py).

Every string from the gateway is escaped and clipped (see :mod:`bot.slack.cards.blocks`),
so the card stays within Slack's limits whatever the reply holds. No clock of
its own: callers pass ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.gateway.config import Environment
from bot.gateway.models import Goods, QrCodeInfo
from bot.i18n import P, Translator
from bot.qr_image import drawable
from bot.service.payment import Payment
from bot.slack.cards.block_kit import Json, actions, button, header, mrkdwn, section
from bot.slack.cards.blocks import (
    ACTIONS_BLOCK,
    BUTTON_URL_CHARS,
    FALLBACK_CHARS,
    HEADER_CHARS,
    MAX_FIELDS,
    REFRESH_ACTION,
    SECTION_CHARS,
    Card,
    CardContext,
    badge,
    context_block,
    field_text,
    money,
    quantity_text,
    raw_reply_button,
)
from bot.slack.cards.mrkdwn import beijing_text, clip, date_token
from bot.slack.cards.payment import payment_section

GOODS_SHOWN = 10
OPEN_QR_ACTION = "open_qr"
SHARE_ACTION = "share_card"
SHOW_QR_ACTION = "show_qr"
CAPTION_MERCHANT_CHARS = 100
EXPIRING_SOON = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CardButtons:
    """The buttons a card carries: Refresh always, Share unless already shared, Show QR code
    when the code's URL is one the bot draws."""

    value: str  # from button.encode_button_value: what Refresh, Share and Show QR look up again
    shareable: bool = True


def _expiry_note(expire_time: datetime | None, now: datetime, tr: Translator) -> str | None:
    if expire_time is None:
        return None
    if expire_time <= now:
        return tr(":no_entry: *Expired* {when}", when=date_token(expire_time))
    if expire_time - now <= EXPIRING_SOON:
        return tr(
            ":hourglass_flowing_sand: *Expires within a day*: {when}", when=date_token(expire_time)
        )
    return None


def _goods_line(goods: Goods, tr: Translator) -> str:
    name = clip(goods.goods_name or goods.goods_id or tr("(unnamed)"), 200)
    quantity = "?" if goods.quantity is None else quantity_text(goods.quantity)
    line = f"• {name} × {quantity}"
    if goods.price is not None:
        line += f" @ {money(goods.price)}"
    if goods.line_total_fen is not None:
        line += f" = {money(goods.line_total_fen)}"
    return line


def _goods_section(info: QrCodeInfo, tr: Translator) -> Json | None:
    if not info.goods:
        return None
    lines = [tr("*Goods* ({count})", count=len(info.goods))]
    budget = SECTION_CHARS - 400  # room for the "more" and mismatch lines
    shown = 0
    for goods in info.goods[:GOODS_SHOWN]:
        line = _goods_line(goods, tr)
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            break
        lines.append(line)
        shown += 1
    if shown < len(info.goods):
        lines.append(tr("_…and {count} more_", count=len(info.goods) - shown))
    goods_total = info.goods_total_fen
    if (
        goods_total is not None
        and info.total_amount is not None
        and goods_total != info.total_amount
    ):
        difference = Decimal(info.total_amount) - goods_total
        lines.append(
            tr(
                ":warning: The goods add up to {goods}, but the total is {total} "
                "(difference {difference}).",
                goods=money(goods_total),
                total=money(info.total_amount),
                difference=f"{'+' if difference > 0 else '−'}{money(abs(difference))}",
            )
        )
    return section(mrkdwn("\n".join(lines)))


def _linkable(url: str | None) -> bool:
    """Only https URLs that fit a button become one."""
    return url is not None and url.lower().startswith("https://") and len(url) <= BUTTON_URL_CHARS


def _unlinked_url_block(url: str, tr: Translator) -> Json:
    prefix = (
        tr(":warning: The QR URL is not https, so it is not linked: ")
        if not url.lower().startswith("https://")
        else tr(":warning: The QR URL is too long for a button, so it is not linked: ")
    )
    # verbatim: Slack must not turn the URL into a link on its own.
    return section(mrkdwn(prefix + clip(url, SECTION_CHARS - len(prefix) - 10), verbatim=True))


def _actions(url: str | None, buttons: CardButtons | None, ctx: CardContext) -> Json | None:
    tr = ctx.tr
    elements: list[Json] = []
    if _linkable(url):
        elements.append(button(tr("Open QR code"), OPEN_QR_ACTION, url=url, style="primary"))
    if buttons is not None and drawable(url):
        # The lookup, as Refresh's: the click looks the code up again and draws what the
        # gateway says then, never a URL a button carries.
        elements.append(button(tr("Show QR code"), SHOW_QR_ACTION, value=buttons.value))
    if buttons is not None:
        elements.append(button(tr("Refresh"), REFRESH_ACTION, value=buttons.value))
        if buttons.shareable:
            elements.append(button(tr("Share in channel"), SHARE_ACTION, value=buttons.value))
    elements += raw_reply_button(ctx)
    return actions(ACTIONS_BLOCK, elements) if elements else None


def qr_card(
    info: QrCodeInfo,
    ctx: CardContext,
    *,
    now: datetime,
    buttons: CardButtons | None = None,
    payment: Payment | None = None,
) -> Card:
    """The card for a found QR code, in the language of *ctx*; with its bill's *payment*
    status when that was asked."""
    tr = ctx.tr
    merchant = info.mer_name or tr("(merchant name not given)")
    blocks: list[Json | None] = [
        header(clip(merchant, HEADER_CHARS)),
        _summary(info, now, tr),
        payment_section(payment, tr) if payment is not None else None,
        _description(info, tr),
        _goods_section(info, tr),
        _unlinked_url_block(info.qr_code_url, tr)
        if info.qr_code_url and not _linkable(info.qr_code_url)
        else None,
        _actions(info.qr_code_url, buttons, ctx),
        context_block(ctx),
    ]
    amount = _amount(info, tr("no amount"))
    fallback = (
        tr("{merchant}: {amount}, expires {when}", merchant=merchant, amount=amount,
           when=beijing_text(info.expire_time))
        if info.expire_time is not None
        else tr("{merchant}: {amount}", merchant=merchant, amount=amount)
    )  # fmt: skip
    return Card(text=clip(fallback, FALLBACK_CHARS), blocks=[b for b in blocks if b is not None])


def _amount(info: QrCodeInfo, missing: str) -> str:
    return money(info.total_amount) if info.total_amount is not None else missing


def _summary(info: QrCodeInfo, now: datetime, tr: Translator) -> Json:
    """The amount, instalments and expiry warning, with the code's fields beside them."""
    not_given = tr("Amount not given")
    headline = [f"*{_amount(info, not_given)}*"]
    if info.installment_number:
        headline.append(
            tr(P("in {count} instalment", "in {count} instalments", info.installment_number))
        )
    summary = "  ·  ".join(headline)
    note = _expiry_note(info.expire_time, now, tr)
    if note:
        summary += "\n" + note
    fields = [
        field_text(tr("Merchant no."), info.mid, code=True),
        field_text(tr("Terminal"), info.tid, code=True),
        field_text(tr("Business type"), info.inst_mid),
        # Our own date token: built here, not escaped like outside text.
        mrkdwn(tr("*Expires*\n{when}", when=date_token(info.expire_time)))
        if info.expire_time
        else None,
        field_text(tr("Bill no."), info.bill_no, code=True),
        field_text(tr("Bill date"), info.bill_date.isoformat() if info.bill_date else None),
        field_text(tr("Member"), info.member_id),
        field_text(tr("Counter"), info.counter_no),
    ]
    present = [f for f in fields if f is not None]
    return section(mrkdwn(summary), fields=present[:MAX_FIELDS])


def _description(info: QrCodeInfo, tr: Translator) -> Json | None:
    if not info.bill_desc:
        return None
    label = tr("*Description*") + "\n"
    return section(mrkdwn(label + clip(info.bill_desc, SECTION_CHARS - len(label))))


def qr_caption(info: QrCodeInfo, env: Environment, tr: Translator) -> str:
    """One line of mrkdwn under a QR code's image: merchant, amount, expiry, environment."""
    merchant = " ".join((info.mer_name or tr("(merchant name not given)")).split())  # one line
    values = {
        "merchant": clip(merchant, CAPTION_MERCHANT_CHARS),
        "amount": _amount(info, tr("no amount")),
        "env": badge(env, tr),
    }
    if info.expire_time is None:
        return tr("{merchant}  ·  {amount}  ·  {env}", **values)
    when = date_token(info.expire_time)
    return tr("{merchant}  ·  {amount}  ·  expires {when}  ·  {env}", when=when, **values)
