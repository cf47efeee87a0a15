"""Pure: a found QR code -> its Block Kit card (slack_sdk block models).

Every string from the gateway is escaped and clipped (see :mod:`bot.slack.blocks`),
so the card stays within Slack's limits whatever the reply holds. No clock of
its own: callers pass ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from bot.gateway.models import Goods, QrCodeInfo
from bot.slack.blocks import (
    ACTIONS_BLOCK,
    BUTTON_URL_CHARS,
    FALLBACK_CHARS,
    HEADER_CHARS,
    MAX_FIELDS,
    REFRESH_ACTION,
    SECTION_CHARS,
    Card,
    CardContext,
    button,
    context_block,
    field_text,
    money,
    mrkdwn,
    quantity_text,
)
from bot.slack.mrkdwn import beijing_text, clip, date_token

GOODS_SHOWN = 10
OPEN_QR_ACTION = "open_qr"
SHARE_ACTION = "share_card"
EXPIRING_SOON = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CardButtons:
    """The buttons a card carries: Refresh always, Share unless already shared."""

    value: str  # from parse.encode_button_value: what Refresh and Share look up again
    shareable: bool = True


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
    quantity = "?" if goods.quantity is None else quantity_text(goods.quantity)
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
    return SectionBlock(text=mrkdwn("\n".join(lines)))


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
        text=mrkdwn(prefix + clip(url, SECTION_CHARS - len(prefix) - 10), verbatim=True)
    )


def _actions(url: str | None, buttons: CardButtons | None) -> ActionsBlock | None:
    elements: list[ButtonElement] = []
    if _linkable(url):
        elements.append(button("Open QR code", OPEN_QR_ACTION, url=url, style="primary"))
    if buttons is not None:
        elements.append(button("Refresh", REFRESH_ACTION, value=buttons.value))
        if buttons.shareable:
            elements.append(button("Share in channel", SHARE_ACTION, value=buttons.value))
    return ActionsBlock(block_id=ACTIONS_BLOCK, elements=elements) if elements else None


def qr_card(
    info: QrCodeInfo,
    ctx: CardContext,
    *,
    now: datetime,
    buttons: CardButtons | None = None,
) -> Card:
    """The card for a found QR code."""
    merchant = info.mer_name or "(merchant name not given)"
    blocks: list[Block | None] = [
        HeaderBlock(text=PlainTextObject(text=clip(merchant, HEADER_CHARS), emoji=False)),
        _summary(info, now),
        _description(info),
        _goods_section(info),
        _unlinked_url_block(info.qr_code_url)
        if info.qr_code_url and not _linkable(info.qr_code_url)
        else None,
        _actions(info.qr_code_url, buttons),
        context_block(ctx),
    ]
    fallback = f"{merchant}: {_amount(info, 'no amount')}"
    if info.expire_time is not None:
        fallback += f", expires {beijing_text(info.expire_time)}"
    return Card(text=clip(fallback, FALLBACK_CHARS), blocks=[b for b in blocks if b is not None])


def _amount(info: QrCodeInfo, missing: str) -> str:
    return money(info.total_amount) if info.total_amount is not None else missing


def _summary(info: QrCodeInfo, now: datetime) -> SectionBlock:
    """The amount, instalments and expiry warning, with the code's fields beside them."""
    headline = [f"*{_amount(info, 'Amount not given')}*"]
    if info.installment_number:
        headline.append(f"in {info.installment_number} instalments")
    summary = "  ·  ".join(headline)
    note = _expiry_note(info.expire_time, now)
    if note:
        summary += "\n" + note
    fields = [
        field_text("Merchant no.", info.mid, code=True),
        field_text("Terminal", info.tid, code=True),
        field_text("Business type", info.inst_mid),
        # Our own date token: built here, not escaped like outside text.
        mrkdwn(f"*Expires*\n{date_token(info.expire_time)}") if info.expire_time else None,
        field_text("Bill no.", info.bill_no, code=True),
        field_text("Bill date", info.bill_date.isoformat() if info.bill_date else None),
        field_text("Member", info.member_id),
        field_text("Counter", info.counter_no),
    ]
    present = [f for f in fields if f is not None]
    return SectionBlock(text=mrkdwn(summary), fields=present[:MAX_FIELDS] or None)


def _description(info: QrCodeInfo) -> SectionBlock | None:
    if not info.bill_desc:
        return None
    label = "*Description*\n"
    return SectionBlock(text=mrkdwn(label + clip(info.bill_desc, SECTION_CHARS - len(label))))
