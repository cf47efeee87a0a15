"""Pure: which QR URLs the bot will draw, and drawing one (segno): a PNG, or terminal text.

Only the provider's own QR URLs are drawn (https, on its QR hosts): a drawing
is something people scan with a phone, so the bot never draws a URL of another
site, whatever the gateway's reply says.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.qr_urls import QR_HOSTS

if TYPE_CHECKING:
    import segno

MAX_URL_CHARS = 1000  # real ones are under 100; a QR code of more is hard to scan anyway
PNG_SCALE = 8  # pixels per module: about 300-400 px, sharp on a phone's camera
ERROR_CORRECTION = "m"  # 15 %: survives a smudged screen or a slightly blurred photo


class NotDrawable(ValueError):
    """The URL is not one the bot draws (not https, another host, credentials, a port, …)."""


def drawable(url: str | None) -> bool:
    """Is *url* an https URL on the provider's QR hosts, plainly written?

    Plainly: printable ASCII, no backslash, no ``user@``, no port, at most
    MAX_URL_CHARS: what a phone's scanner and this check read the same way.
    """
    if not url or len(url) > MAX_URL_CHARS or "\\" in url:
        return False
    # Each character in 33..126, said with str methods: a generator over the characters
    # was a sixth of drawing a card.
    if not (url.isascii() and url.isprintable()) or " " in url:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port or IPv6 literal
        return False
    return (
        url.startswith("https://")
        and parts.hostname in QR_HOSTS
        and parts.netloc == parts.hostname  # no user, password or port, same case
        and port is None
    )


def _code(url: str) -> segno.QRCode:
    if not drawable(url):
        raise NotDrawable(url)
    # segno only when a code is drawn (a click on "QR image", `qrinfo query --qr`): every
    # card asks drawable(), and serve need not load segno for that.
    import segno  # noqa: PLC0415

    # Never a Micro QR code: phones' camera apps do not read them.
    return segno.make_qr(url, error=ERROR_CORRECTION, boost_error=False)


def png(url: str, *, scale: int = PNG_SCALE) -> bytes:
    """*url* drawn as a PNG with its quiet zone; NotDrawable for a URL the bot does not draw."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def terminal_text(url: str) -> str:
    """*url* drawn in Unicode half blocks (two modules a character), for a terminal;
    NotDrawable for a URL the bot does not draw."""
    out = io.StringIO()
    _code(url).terminal(out=out, compact=True)
    return out.getvalue()
