"""One lookup's attempts: how many, how long, the last reason, and its one log line."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from bot.gateway.errors import GatewayError, GatewayUnavailable

log = logging.getLogger("bot.gateway.client")


class Retryable(Exception):
    """An attempt failed in a way another attempt may fix; ``reason`` says how, in one line."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Try:
    """One attempt as it went: the HTTP status (None: no answer), its time, why it failed."""

    status: int | None
    ms: float
    failure: str | None = None


@dataclass(slots=True)
class Attempts:
    """Bookkeeping for one lookup: its msgId, attempts, clock and last failure, and what the
    gateway last said (its reply as parsed, for an operator's Raw reply)."""

    msg_id: str | None
    started: float = field(default_factory=time.monotonic)
    count: int = 0
    last_reason: str | None = None
    tries: list[Try] = field(default_factory=list)
    status: int | None = None  # the last reply's HTTP status
    reply: dict[str, Any] | str | None = None  # the last reply: its JSON object, or its text

    def answered(self, status: int, reply: dict[str, Any] | str) -> None:
        """The gateway replied (whatever it said)."""
        self.status, self.reply = status, reply

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def unavailable(self, reason: str) -> GatewayUnavailable:
        return GatewayUnavailable(
            reason=reason, attempts=max(self.count, 1), elapsed=self.elapsed, msg_id=self.msg_id
        )

    def failed_attempt(self, failure: Retryable) -> None:
        """One attempt failed and may be retried: INFO, seen with -v."""
        self.last_reason = failure.reason
        log.info("lookup attempt %d failed msgId=%s: %s", self.count, self.msg_id, failure.reason)

    def failed(self, error: GatewayError) -> None:
        """The lookup's one line for its end. Only an unavailable gateway is a WARNING: a
        business answer is the user's to read, and an auth error is logged by whoever shows it.
        """
        unavailable = isinstance(error, GatewayUnavailable)
        log.log(
            logging.WARNING if unavailable else logging.INFO,
            "lookup failed msgId=%s attempts=%d elapsed_ms=%.0f: %s",
            self.msg_id,
            self.count,
            self.elapsed * 1000,
            error.reason if isinstance(error, GatewayUnavailable) else str(error),
        )

    def found(self, mid: str, qr_code_id: str) -> None:
        log.info(
            "lookup found mid=%s qrCodeId=%s msgId=%s attempts=%d elapsed_ms=%.0f",
            mid,
            qr_code_id,
            self.msg_id,
            self.count,
            self.elapsed * 1000,
        )

    def bill_found(self, mid: str, bill_no: str, bill_status: str | None) -> None:
        log.info(
            "bill found mid=%s billNo=%s billStatus=%s msgId=%s attempts=%d elapsed_ms=%.0f",
            mid,
            bill_no,
            bill_status,
            self.msg_id,
            self.count,
            self.elapsed * 1000,
        )
