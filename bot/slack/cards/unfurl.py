"""Pure: the provider's QR links -> their unfurls (chat.unfurl's ``unfurls`` map).

A compact preview per link: the code's id, the environment its host serves (the cards'
badge), and a Look up button that opens the form with the link filled in. Nothing is looked
up to draw it: the merchant number is not in the link, and the gateway is not asked.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import Translator
from bot.slack.cards.block_kit import Json, button, context, mrkdwn, section
from bot.slack.cards.blocks import badge
from bot.slack.cards.mrkdwn import clip
from bot.slack.reading.links import QrLink

LOOK_UP_ACTION = "unfurl_look_up"
ID_CHARS = 100  # a checked id is at most 32: a bound of our own all the same


def unfurl_blocks(link: QrLink, tr: Translator) -> list[Json]:
    """One link's preview: the id beside Look up, then its environment and its host."""
    title = tr("*Chinaums QR code* `{id}`", id=clip(link.qr_code_id, ID_CHARS))
    look_up = button(tr("Look up"), LOOK_UP_ACTION, value=link.lookup_text)
    where = [
        mrkdwn(badge(link.env, tr)),
        mrkdwn(clip(link.host, 100)),
        mrkdwn(tr("Look up asks for the merchant number: the link does not hold it.")),
    ]
    return [section(mrkdwn(title), accessory=look_up), context(where)]


def unfurls(links: list[QrLink], tr: Translator) -> dict[str, dict[str, Any]]:
    """chat.unfurl's map: each link's URL, as Slack sent it, to its preview."""
    return {link.url: {"blocks": unfurl_blocks(link, tr)} for link in links}
