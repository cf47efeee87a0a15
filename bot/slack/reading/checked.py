"""Pure: one typed value checked as the gateway client checks it: a merchant number, a QR
code id, a QR URL's id and the environment its host names. What the command, the form and
a button's value share.

May touch the gateway's checks (bot.gateway.ids), the QR URL shapes, i18n and pasted.py;
nothing of Bolt, aiohttp or the Web API (an import contract).
"""

from __future__ import annotations

from bot.gateway.config import Environment
from bot.gateway.errors import InvalidInput
from bot.gateway.ids import QR_CODE_ID_EXAMPLE, QrCodeRef, check_mid, check_qr_code_id
from bot.i18n import T, Text
from bot.slack.reading.pasted import (
    QR_CODE_ID,
    UsageError,
    env_of_url,
    is_url,
    normalise,
    qr_code_id_from_url,
)

URL_EXAMPLE = f"https://qr.95516.com/48020000/{QR_CODE_ID_EXAMPLE}"


def checked_ref(mid: str, qr_code_id: str, env: Environment | None = None) -> QrCodeRef:
    """What to look up, from two values checked as the gateway client checks them."""
    try:
        return QrCodeRef.checked(normalise(mid), normalise(qr_code_id), env)
    except InvalidInput as exc:
        shown = mid if exc.field == "mid" else qr_code_id
        raise UsageError(
            T("`{value}` is not {expected}.", value=shown[:40], expected=Text(exc.expected)),
            field=exc.field,
        ) from None


def expected(error: InvalidInput) -> Text:
    """What a field at fault should hold, with an example."""
    return T(
        "Expected {expected}, for example {example}.",
        expected=Text(error.expected),
        example=error.example,
    )


def looks_like_a_mid(text: str) -> bool:
    """Would the gateway take *text* as a merchant number?"""
    try:
        check_mid(text)
    except InvalidInput:
        return False
    return True


def qr_value(text: str, *, named: bool) -> tuple[str, Environment | None]:
    """A QR code id, or a QR URL's id and environment, checked; *named* (one of a list): a
    fault says which value it is."""
    try:
        if not is_url(text):
            return check_qr_code_id(text), None
        return check_qr_code_id(id_from_url_token(text)), env_of([text])
    except UsageError:  # not a QR URL
        if not named:
            raise
        raise UsageError(
            T(
                "`{value}` is not a Chinaums QR code URL. Expected {example} "
                "or https://qr.chinaums.com/bills/qrCode.do?id=…",
                value=text[:80],
                example=URL_EXAMPLE,
            ),
            field=QR_CODE_ID,
        ) from None
    except InvalidInput as exc:
        if not named:
            raise
        raise UsageError(
            T("`{value}` is not {expected}.", value=text[:40], expected=Text(exc.expected)),
            field=QR_CODE_ID,
        ) from None


def qr_code_id(value: str) -> str:
    """A QR code id as typed, or the one in a QR URL."""
    return id_from_url_token(value) if is_url(value) else value


def env_of(urls: list[str]) -> Environment | None:
    """The environment a pasted QR URL's host names (the first one's)."""
    return next((env for url in urls if (env := env_of_url(with_scheme(url)))), None)


def with_scheme(url: str) -> str:
    """A pasted ``qr.95516.com/…`` without its scheme reads as https."""
    return url if "://" in url else "https://" + url


def id_from_url_token(token: str) -> str:
    """The QR code id in a pasted QR URL; a UsageError when it is not one."""
    found = qr_code_id_from_url(with_scheme(token))
    if found is None:
        raise UsageError(
            T(
                "That URL is not a Chinaums QR code URL. Expected "
                "{example} or https://qr.chinaums.com/bills/qrCode.do?id=…",
                example=URL_EXAMPLE,
            ),
            field=QR_CODE_ID,
        )
    return found
