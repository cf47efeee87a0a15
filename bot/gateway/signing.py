"""Pure signing for the Chinaums open platform: OPEN-BODY-SIG, token signatures, Beijing time.

No clock and no randomness of its own: callers pass the instant and the nonce.
The sandbox verifies with these same functions, and both are pinned by the
provider's published test vector.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991: a fixed offset is
# exact and needs no tz database on the host.
BEIJING = timezone(timedelta(hours=8), "UTC+8")

HEADER_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"  # Authorization header, token request
BODY_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"  # requestTimestamp in the JSON body

BODY_SIG_SCHEME = "OPEN-BODY-SIG"
TOKEN_SCHEME = "OPEN-ACCESS-TOKEN"  # noqa: S105  # a scheme name, not a password


def to_beijing(instant: datetime) -> datetime:
    """The same instant on Beijing's clock; a naive datetime is refused (its zone is a guess)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; pass an aware one")
    return instant.astimezone(BEIJING)


_WHOLE_BODY_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})"
)


def header_timestamp(instant: datetime) -> str:
    """``yyyyMMddHHmmss`` in Beijing time, as the Authorization header and token request want."""
    return to_beijing(instant).strftime(HEADER_TIMESTAMP_FORMAT)


def body_timestamp(instant: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in Beijing time, as ``requestTimestamp`` wants."""
    return to_beijing(instant).strftime(BODY_TIMESTAMP_FORMAT)


def parse_beijing(text: str, fmt: str) -> datetime:
    """Parse a gateway timestamp (Beijing wall clock, no zone in the text) to an aware datetime.

    ``yyyy-MM-dd HH:mm:ss`` written out whole, as the gateway writes it, is read without
    strptime (half its time); anything else, strptime reads (or refuses) as before."""
    if fmt == BODY_TIMESTAMP_FORMAT and (whole := _WHOLE_BODY_TIMESTAMP.fullmatch(text)):
        with contextlib.suppress(ValueError):  # 2026-02-30: strptime says what is wrong
            year, month, day, hour, minute, second = (int(part) for part in whole.groups())
            return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)
    return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)


def new_nonce() -> str:
    """32 lowercase hex characters from the OS's CSPRNG, the norm for both schemes."""
    return secrets.token_hex(16)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body_signature(*, app_id: str, app_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Base64 of HMAC-SHA256(appKey, appId + timestamp + nonce + sha256_hex(body))."""
    message = (app_id + timestamp + nonce + sha256_hex(body)).encode("utf-8")
    digest = hmac.new(app_key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def body_sig_header(*, app_id: str, app_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The whole ``Authorization`` value for OPEN-BODY-SIG over exactly *body*."""
    signature = body_signature(
        app_id=app_id, app_key=app_key, timestamp=timestamp, nonce=nonce, body=body
    )
    return (
        f'{BODY_SIG_SCHEME} AppId="{app_id}", Timestamp="{timestamp}", '
        f'Nonce="{nonce}", Signature="{signature}"'
    )


def token_signature(*, app_id: str, timestamp: str, nonce: str, app_key: str) -> str:
    """Lowercase hex SHA-256 (a plain hash, no HMAC) of appId + timestamp + nonce + appKey."""
    return sha256_hex((app_id + timestamp + nonce + app_key).encode("utf-8"))


def token_header(access_token: str) -> str:
    """The ``Authorization`` value for a call made with an access token (no quotes)."""
    return f"{TOKEN_SCHEME} AccessToken={access_token}"


@dataclass(frozen=True, slots=True)
class BodySigCredentials:
    """The four parts of an OPEN-BODY-SIG header, as a verifier reads them."""

    app_id: str
    timestamp: str
    nonce: str
    signature: str


_PARAM = re.compile(r'\s*(\w+)\s*=\s*"([^"]*)"\s*')


def parse_body_sig_header(value: str) -> BodySigCredentials | None:
    """Split an OPEN-BODY-SIG header into its parts; None when it is not well formed."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != BODY_SIG_SCHEME:
        return None
    params: dict[str, str] = {}
    for part in rest.split(","):
        match = _PARAM.fullmatch(part)
        if match is None:
            return None
        params[match.group(1)] = match.group(2)
    try:
        return BodySigCredentials(
            app_id=params["AppId"],
            timestamp=params["Timestamp"],
            nonce=params["Nonce"],
            signature=params["Signature"],
        )
    except KeyError:
        return None


def signatures_match(expected: str, given: str) -> bool:
    """Constant-time comparison, so a verifier leaks nothing through timing."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
