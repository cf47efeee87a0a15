"""Pure: a ``link_shared`` event -> the provider's QR links in it, and where to unfurl them.

A link counts only when its host is one of the provider's (bot.qr_urls) and its id passes
the gateway client's check; any other link is left to Slack. The Look up button carries
the link rebuilt from its host and id, read back here as untrusted as any button's value.

May touch the gateway's checks, the QR URL shapes and the other reading modules; nothing of
Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.gateway.config import Environment
from bot.gateway.errors import InvalidInput
from bot.gateway.ids import check_qr_code_id
from bot.qr_urls import NEW_SHAPE_HOST, OLD_SHAPE_PATH, env_of_host
from bot.slack.reading.pasted import qr_code_id_from_url

MAX_UNFURLS = 10  # QR links unfurled from one message; more are left as plain links
COMPOSER = "composer"  # a link still in the message box: unfurled by unfurl_id and source


@dataclass(frozen=True, slots=True)
class QrLink:
    """One of the provider's QR links: the URL as Slack sent it (the unfurl's key), the id in
    it, the environment its host serves, and the link rebuilt from those (what Look up fills
    in: the host keeps the environment)."""

    url: str
    qr_code_id: str
    env: Environment
    host: str
    lookup_text: str


def qr_link(url: str) -> QrLink | None:
    """*url* as one of the provider's QR links, or None (another host, another shape, an id
    no gateway would take)."""
    found = qr_code_id_from_url(url)
    if found is None:
        return None
    try:
        qr_code_id = check_qr_code_id(found)
        parts = urlsplit(url)
    except (InvalidInput, ValueError):
        return None
    host = (parts.hostname or "").lower()
    env = env_of_host(host)
    if env is None:
        return None
    if host == NEW_SHAPE_HOST:  # /<8 digits>/<id>: the digits checked by qr_code_id_from_url
        lookup_text = f"https://{host}/{parts.path.strip('/').split('/')[0]}/{qr_code_id}"
    else:
        lookup_text = f"https://{host}{OLD_SHAPE_PATH}?id={qr_code_id}"
    return QrLink(url, qr_code_id, env, host, lookup_text)


def qr_links(event: dict[str, Any]) -> list[QrLink]:
    """The provider's QR links in a link_shared *event*, each once, in order (at most
    MAX_UNFURLS); anything that is not one is skipped."""
    links = event.get("links")
    found: dict[str, QrLink] = {}
    for link in links if isinstance(links, list) else []:
        url = link.get("url") if isinstance(link, dict) else None
        if not isinstance(url, str) or url in found:
            continue
        read = qr_link(url)
        if read is not None:
            found[url] = read
        if len(found) == MAX_UNFURLS:
            break
    return list(found.values())


def unfurl_target(event: dict[str, Any]) -> dict[str, str] | None:
    """Where chat.unfurl puts the previews: ``unfurl_id`` and ``source`` for a link still in
    the composer, else the message's ``channel`` and ``ts``; None when the event says neither."""
    source, unfurl_id = event.get("source"), event.get("unfurl_id")
    if source == COMPOSER:
        return {"unfurl_id": unfurl_id, "source": source} if isinstance(unfurl_id, str) else None
    channel, ts = event.get("channel"), event.get("message_ts")
    if isinstance(channel, str) and channel and isinstance(ts, str) and ts:
        return {"channel": channel, "ts": ts}
    return None


def lookup_text_of(value: object) -> str | None:
    """A Look up button's value read back: the QR link it carries, rebuilt; None when it is
    not one (a button's value is never trusted)."""
    link = qr_link(value) if isinstance(value, str) and len(value) <= 2000 else None
    return link.lookup_text if link is not None else None
