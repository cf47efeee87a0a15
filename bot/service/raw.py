"""The gateway's replies as they came, kept a while for an operator's Raw reply button."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.gateway.attempts import Try
from bot.gateway.config import Environment

KEPT = 500  # the last replies: enough for a card someone is looking at
KEPT_CHARS = 12_000  # of each reply's text: what its card can show (500 of them: a few MB)


@dataclass(frozen=True, slots=True)
class RawReply:
    """One gateway call: its reply exactly as parsed, the HTTP status, its attempts."""

    msg_id: str
    env: Environment  # the gateway that answered
    outcome: str  # Outcome.kind
    answered_at: datetime
    duration_ms: float
    status: int | None  # the last reply's HTTP status; None when none came
    text: str | None  # the reply: its JSON object indented, or its text; the first KEPT_CHARS
    length: int  # the whole text's length, to say how much is shown
    tries: tuple[Try, ...]
    payment: RawReply | None = None  # the bills/query call that followed, when one did


def reply_text(reply: dict[str, Any] | str | None) -> tuple[str | None, int]:
    """A reply as kept: its text (JSON indented, as parsed), clipped; and its full length."""
    if reply is None:
        return None, 0
    text = json.dumps(reply, ensure_ascii=False, indent=2) if isinstance(reply, dict) else reply
    return text[:KEPT_CHARS], len(text)


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
