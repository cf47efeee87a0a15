"""The gateway's replies as they came, kept a while for an operator's Raw reply button."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.gateway.attempts import Try

KEPT = 500  # the last replies: enough for a card someone is looking at, a few MB at most


@dataclass(frozen=True, slots=True)
class RawReply:
    """One gateway call: its reply exactly as parsed, the HTTP status, its attempts."""

    msg_id: str
    outcome: str  # Outcome.kind
    answered_at: datetime
    duration_ms: float
    status: int | None  # the last reply's HTTP status; None when none came
    reply: dict[str, Any] | str | None  # a JSON object, the text of anything else, or None
    tries: tuple[Try, ...]


class RawReplies:
    """The last *size* replies by msgId, oldest forgotten first."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._kept: OrderedDict[str, RawReply] = OrderedDict()

    def keep(self, raw: RawReply) -> None:
        self._kept[raw.msg_id] = raw
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def get(self, msg_id: str) -> RawReply | None:
        return self._kept.get(msg_id)
