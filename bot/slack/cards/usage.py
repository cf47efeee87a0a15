"""Pure: how to use the bot (the help card): the command and its forms, the shortcuts, the
buttons, and which gateways the bot talks to.

May touch i18n, the other cards modules and reading's examples;
nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.gateway.config import Environment
from bot.i18n import N_, Text, Translator
from bot.service.batch_limit import MAX_BATCH
from bot.slack.cards.block_kit import context, mrkdwn, section
from bot.slack.cards.blocks import Card, badge
from bot.slack.cards.mrkdwn import escape
from bot.slack.reading.checked import URL_EXAMPLE
from bot.slack.reading.command import COMMAND_EXAMPLE
from bot.slack.reading.pasted import LABELLED_EXAMPLE

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
    return Card(
        text=tr("Usage: {example}", example=COMMAND_EXAMPLE),
        blocks=[
            section(mrkdwn(_the_command(tr) + "\n" + _more_of_the_command(tr))),
            section(mrkdwn(_without_typing(tr))),
            section(mrkdwn(_buttons(tr))),
            context([mrkdwn(_gateways(envs, tr))]),
        ],
    )


def _the_command(tr: Translator) -> str:
    """/qrinfo with one code: its shape, a URL or pasted text in place of the id, help."""
    return tr(
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


def _more_of_the_command(tr: Translator) -> str:
    """/qrinfo with several codes, with an environment's word, and status."""
    batch = escape(tr("/qrinfo <merchant no.> <id or URL> <id or URL> …"))
    several = tr(
        "• Several codes of one merchant at once (up to {most}): `{batch}`, "
        "one card with a line and a *Details* button for each.",
        most=MAX_BATCH,
        batch=batch,
    )
    environments = tr(
        "• `/qrinfo test …` or `/qrinfo prod …` (or `测试` / `生产`) asks that environment's "
        "gateway; a pasted URL's host picks it too (`qr-test1/2/3.chinaums.com` are test)."
    )
    status = tr(
        "• `/qrinfo status` (or `/qrinfo 状态`) shows the bot's and the gateway's state, "
        "to the bot's operators."
    )
    return "\n".join([several, environments, status])


def _without_typing(tr: Translator) -> str:
    """The two shortcuts, and where the form's results arrive."""
    return tr(
        "*Without typing a command*\n"
        "• Shortcut *Look up a QR code* (the ⚡ menu or the search bar) opens a form.\n"
        "• On a message with a QR code URL: *More actions (⋮)* → *Look up this QR code* "
        "opens the form with the code filled in.\n"
        "Form results arrive in your direct messages with the bot."
    )


def _buttons(tr: Translator) -> str:
    """What each button on a card does."""
    return tr(
        "*Buttons on a card*\n"
        "• *Open QR code* opens the code's URL (https only).\n"
        "• *Show QR code* sends you the code as an image in your direct messages with the bot, "
        "to look at and to try with a phone.\n"
        "• *Refresh* looks the code up again and updates the card in place.\n"
        "• *Share in channel* posts the card for everyone in the channel, with your name on it."
    )


def _gateways(envs: Sequence[Environment], tr: Translator) -> str:
    """The footer: the default gateway's badge and what it is, then each other one's."""
    footer = tr(
        "{badge}  ·  connected to {gateway}",
        badge=badge(envs[0], tr),
        gateway=Text(_ENV_DESCRIPTIONS[envs[0]]),
    )
    for other in envs[1:]:
        footer += "\n" + tr(
            "{badge}  ·  and to {gateway}",
            badge=badge(other, tr),
            gateway=Text(_ENV_DESCRIPTIONS[other]),
        )
    return footer
