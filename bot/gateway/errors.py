"""What can go wrong with a lookup, split by what the caller does next.

::

    QrInfoError
    ├── InvalidInput          the user typed something no gateway would accept: say what is expected
    └── GatewayError          the gateway was asked (carries msg_id)
        ├── GatewayRejected   a definite business answer (NO_BILL, ...): show its meaning
        ├── GatewayUnavailable network, deadline, 5xx, garbled reply: say so, try later
        │   ├── GatewayBusy   our own cap on lookups in flight is full: try again in a moment
        │   └── GatewayBreakerOpen  the gateway kept failing: calls paused for a cool-down
        └── GatewayAuthError  credentials, IP whitelist, clock, URL: for the operator
            └── TokenLimitReached  the appId has all the live access tokens it may have

No exception here ever carries a secret: messages are built from codes, the
gateway's own texts and our ids, never from headers or keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.gateway.protocol import MAX_LIVE_TOKENS
from bot.i18n import N_


class QrInfoError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidInput(QrInfoError):
    """A value we can reject before any I/O."""

    def __init__(self, *, field: str, expected: str, example: str) -> None:
        self.field = field
        self.expected = expected
        self.example = example
        super().__init__(f"{field}: expected {expected}, for example {example}")


class GatewayError(QrInfoError):
    """The gateway was asked and did not give us a QR code's details."""

    def __init__(self, message: str, *, msg_id: str | None) -> None:
        self.msg_id = msg_id
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What a gateway errCode means, and what a person should do about it."""

    explanation: str
    next_step: str


# Every business code of the protocol sheet, plus the auth codes. Texts are
# for people in a support channel: one line each.
CATALOGUE: dict[str, CodeInfo] = {
    "BAD_REQUEST": CodeInfo(
        N_("The gateway found a field missing or malformed."),
        N_(
            "Check the merchant number and QR code id; if they look right, tell the bot's operator."
        ),
    ),
    "NO_BILL": CodeInfo(
        N_("No QR code with this id exists for this merchant."),
        N_("Check the QR code id (copy it from the URL) and the merchant number."),
    ),
    "NO_ORDER": CodeInfo(
        N_("No order or QR code with this id was found."),
        N_("Check the QR code id (copy it from the URL) and the merchant number."),
    ),
    "NO_MERCHANT": CodeInfo(
        N_("This merchant number is not configured at Chinaums."),
        N_("Check the merchant number (15 characters, from the merchant's contract)."),
    ),
    "INACTIVE_MERCHANT": CodeInfo(
        N_("The merchant is frozen or not active."),
        N_("Ask merchant operations about the merchant's status."),
    ),
    "INVALID_MSGSRC": CodeInfo(
        N_("The QR code belongs to another message source than this bot's."),
        N_("Query it from the system that created the code, or check the merchant number."),
    ),
    "INVLID_MERCHANT_CONFIG": CodeInfo(  # the provider's own spelling
        N_("The merchant's configuration at Chinaums is wrong."),
        N_("Ask merchant operations to check the merchant's setup."),
    ),
    "OPERATION_NOT_ALLOWED": CodeInfo(
        N_("The gateway does not allow this query in the code's current state."),
        N_("Check the code's state with the merchant; try again later."),
    ),
    "NO_SERVICE": CodeInfo(
        N_("The gateway does not offer this service at this address."),
        N_("Tell the bot's operator: the gateway URL may be wrong."),
    ),
    "ABNORMAL_REQUEST_TIME": CodeInfo(
        N_("The gateway rejected the request time (clock skew or a non-UTC+8 timestamp)."),
        N_("Tell the bot's operator to check the host clock."),
    ),
    "BAD_SIGN": CodeInfo(
        N_("The gateway rejected the request signature."),
        N_("Tell the bot's operator to check CHINAUMS_APP_ID and CHINAUMS_APP_KEY."),
    ),
    "DENIED_IP": CodeInfo(
        N_("The bot's IP address is not on the merchant's whitelist."),
        N_("Tell the bot's operator to whitelist the bot's outbound IP."),
    ),
    "TIMEOUT": CodeInfo(N_("The gateway timed out internally."), N_("Try again in a moment.")),
    "NET_ERROR": CodeInfo(N_("The gateway had a network error."), N_("Try again in a moment.")),
    "SYSTEM_BUSY": CodeInfo(N_("The gateway is busy."), N_("Try again in a moment.")),
    "TXN_DISCARDED": CodeInfo(
        N_("The gateway discarded the request."), N_("Try again in a moment.")
    ),
    "INTERNAL_ERROR": CodeInfo(
        N_("The gateway had an internal error."), N_("Try again in a moment.")
    ),
    "INVALID_RESPONSE": CodeInfo(
        N_("An upstream system gave the gateway an invalid answer."), N_("Try again in a moment.")
    ),
}

UNKNOWN_CODE = CodeInfo(
    N_("The gateway answered with a code this bot does not know."),
    N_("Try again; if it persists, tell the bot's operator with the msgId."),
)

TRANSIENT_CODES = frozenset(
    {"TIMEOUT", "NET_ERROR", "SYSTEM_BUSY", "TXN_DISCARDED", "INTERNAL_ERROR", "INVALID_RESPONSE"}
)
# Codes that only the operator can fix (credentials, whitelist, clock, URL).
AUTH_CODES = frozenset({"BAD_SIGN", "DENIED_IP", "ABNORMAL_REQUEST_TIME", "NO_SERVICE"})


def describe(code: str) -> CodeInfo:
    """The catalogue entry for *code*; a numeric code is a gateway (auth) failure."""
    if code in CATALOGUE:
        return CATALOGUE[code]
    if code.isdigit():
        return CodeInfo(
            N_("The gateway refused the bot's credentials or request."),
            N_("Tell the bot's operator: check the app id, key, token and whitelist."),
        )
    return UNKNOWN_CODE


# The provider documents the cap on live tokens but not the errCode it answers
# with at the cap, so we go by an errInfo that says "token" and "limit" in one
# of the ways below: a guess not checked against production ("exceeds" alone is
# left out: "token超过有效期" is an expired token). The gateway's own errInfo is
# always shown next to our text, so a wrong guess still shows the truth.
_TOKEN_WORDS = ("token", "令牌")
_LIMIT_WORDS = ("上限", "too many", "limit")


def is_token_limit(info: str | None) -> bool:
    """Does a refused token request say the appId already has its most live tokens?"""
    text = (info or "").lower()
    return any(w in text for w in _TOKEN_WORDS) and any(w in text for w in _LIMIT_WORDS)


class GatewayRejected(GatewayError):
    """A definite business answer other than SUCCESS. Never retried."""

    def __init__(self, *, code: str, message: str | None, msg_id: str | None) -> None:
        self.code = code
        self.gateway_message = message
        info = describe(code)
        self.explanation = info.explanation
        self.next_step = info.next_step
        text = f"{code}: {info.explanation}"
        if message:
            text += f" (gateway: {message})"
        super().__init__(text, msg_id=msg_id)


class GatewayUnavailable(GatewayError):
    """No usable answer in time: network, deadline, 5xx, or a reply we cannot read."""

    def __init__(self, *, reason: str, attempts: int, elapsed: float, msg_id: str | None) -> None:
        self.reason = reason
        self.attempts = attempts
        self.elapsed = elapsed
        plural = "" if attempts == 1 else "s"
        # (GatewayBusy passes attempts=0: the gateway was never asked.)
        super().__init__(
            f"gateway unavailable: {reason} ({attempts} attempt{plural}, {elapsed:.1f} s)",
            msg_id=msg_id,
        )


class GatewayBusy(GatewayUnavailable):
    """No slot among the lookups allowed in flight came free in time: we did not ask the gateway."""

    def __init__(self, *, limit: int, waited: float, msg_id: str | None) -> None:
        self.limit = limit
        super().__init__(
            reason=(
                f"{limit} lookups already in flight; no slot came free in {waited:.1f} s"
                if waited
                else f"{limit} lookups already in flight and too many waiting"
            ),
            attempts=0,
            elapsed=waited,
            msg_id=msg_id,
        )


class GatewayBreakerOpen(GatewayUnavailable):
    """The gateway failed repeatedly; calls are paused for a cool-down. Not sent."""

    def __init__(
        self, *, failing_since: datetime | None, retry_in: float, msg_id: str | None
    ) -> None:
        self.failing_since = failing_since
        self.retry_in = retry_in
        since = f" since {failing_since:%H:%M:%S} UTC" if failing_since else ""
        super().__init__(
            reason=f"the gateway has been failing{since}; calls paused for {retry_in:.0f} s",
            attempts=0,
            elapsed=0.0,
            msg_id=msg_id,
        )


class GatewayAuthError(GatewayError):
    """Credentials, whitelist, clock or URL are wrong: the operator must act. Never retried."""

    def __init__(
        self,
        *,
        code: str | None,
        message: str | None,
        http_status: int | None,
        msg_id: str | None,
    ) -> None:
        self.code = code
        self.gateway_message = message
        self.http_status = http_status
        parts = ["gateway refused the bot's request"]
        if http_status is not None:
            parts.append(f"HTTP {http_status}")
        if code:
            parts.append(f"errCode {code}")
        text = ", ".join(parts)
        if message:
            text += f": {message}"
        self.next_step = (
            describe(code).next_step
            if code
            else N_("Tell the bot's operator: check the gateway URL and credentials.")
        )
        super().__init__(text, msg_id=msg_id)


class TokenLimitReached(GatewayAuthError):
    """The token endpoint refused: the appId already has all the live tokens it may have.

    Other processes with the same appId (another bot, one-shot commands) hold
    them; they free up only as they expire.
    """

    def __init__(
        self, *, code: str | None, gateway_message: str | None, http_status: int | None
    ) -> None:
        message = (
            f"too many live access tokens for this appId (the provider allows "
            f"{MAX_LIVE_TOKENS}, each living an hour)"
        )
        if gateway_message:
            message += f"; gateway: {gateway_message}"
        super().__init__(code=code, message=message, http_status=http_status, msg_id=None)
        self.next_step = N_(
            "Wait for old tokens to expire (within the hour) or stop other processes "
            "that use this appId."
        )
