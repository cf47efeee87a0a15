"""Pure: what a card's buttons carry (the lookup and its gateway, as compact JSON), and
reading it back, checked like user input: a button's value is never trusted.

May touch the gateway's checks, the environments' names and the other reading modules;
nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

import json
from dataclasses import replace

from bot.gateway.ids import QrCodeRef
from bot.i18n import T
from bot.slack.names import ENV_NAMES
from bot.slack.reading.checked import checked_ref
from bot.slack.reading.pasted import UsageError


def encode_button_value(ref: QrCodeRef) -> str:
    """What a card's buttons carry: the lookup and its gateway, as compact JSON. Never who
    clicked or shared."""
    data = {"mid": ref.mid, "qr": ref.qr_code_id}
    if ref.env is not None:
        data["env"] = ref.env
    return json.dumps(data, separators=(",", ":"))


def decode_button_value(value: str) -> QrCodeRef:
    """A button's value back to a lookup, checked like user input: never trusted.

    Cards posted before this version also carry ``by`` (who shared them); it is
    ignored: who acts is who the verified payload says. Cards from before gateways were
    named carry no ``env``: they go to the default gateway, as they did.
    """
    try:
        data = json.loads(value)
    except (ValueError, TypeError, RecursionError):  # "[" * 1000 nests too deep to read
        raise UsageError(T("That button's data is not readable.")) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("mid"), str)
        or not isinstance(data.get("qr"), str)
    ):
        raise UsageError(T("That button's data is not a lookup."))
    env = data.get("env")
    if env is not None and not (isinstance(env, str) and env in ENV_NAMES):
        raise UsageError(T("That button's data is not a lookup."))
    return replace(checked_ref(data["mid"], data["qr"]), env=env)
