"""Each person's last lookups, for their App Home: what the list needs of each, nothing more.

Kept in this process's memory (bounded: HISTORY_KEPT a person, MAX_PEOPLE people, the
least recently seen leave first) and, with a fleet store, in Redis too (a capped list
a person, expiring KEEP_SECONDS after their last lookup); a lookup older than KEEP_SECONDS
is never shown. Lost Redis: this process's own memory, quietly.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

from bot.fleet_state import Lost
from bot.gateway.config import Environment
from bot.gateway.errors import InvalidInput
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.service.answer import Answer
from bot.store.history import FleetHistory
from bot.store.redis import FleetStore

log = logging.getLogger(__name__)

HISTORY_KEPT = 10  # lookups a person
MAX_PEOPLE = 10_000  # people a process remembers; the least recently seen leave first
KEEP_SECONDS = 7 * 86_400  # a lookup is shown for a week at most
MERCHANT_CHARS = 80  # of the merchant's name: what one line of the list shows


@dataclass(frozen=True, slots=True)
class Looked:
    """One lookup, as the list shows it: the code, how it ended, when."""

    env: Environment
    mid: str
    qr_code_id: str
    outcome: str  # an Outcome's kind: found, a gateway code, refused, busy, ...
    at: datetime  # wall clock, aware
    merchant: str | None = None  # clipped to MERCHANT_CHARS
    amount_fen: int | None = None
    payment: str | None = None  # the bill's payment status, when it was asked

    @property
    def ref(self) -> QrCodeRef:
        return QrCodeRef(self.mid, self.qr_code_id, env=self.env)

    def encode(self) -> str:
        return json.dumps(asdict(self) | {"at": self.at.isoformat()}, ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> Looked:
        """ValueError, TypeError or KeyError for what this version cannot read: the code
        checked like user input, every other value of its own type."""
        data: dict[str, Any] = json.loads(text)
        at = datetime.fromisoformat(data.pop("at"))
        if at.tzinfo is None or data["env"] not in get_args(Environment):
            raise ValueError("a time without its zone, or no known gateway")
        try:
            QrCodeRef.checked(data["mid"], data["qr_code_id"])
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
        entry = cls(**data, at=at)
        texts = (entry.outcome, entry.merchant or "", entry.payment or "")
        if not all(isinstance(t, str) for t in texts) or not isinstance(
            entry.amount_fen, int | None
        ):
            raise TypeError("a value of another type")
        return entry


def looked(ref: QrCodeRef, outcome: str, answer: Answer | None, *, at: datetime) -> Looked:
    """What the list keeps of a lookup of *ref* that ended as *outcome* (routed: *ref.env*)."""
    if ref.env is None:
        raise ValueError(f"{ref} was never routed to a gateway")
    info = answer.result if answer is not None else None
    found = info if isinstance(info, QrCodeInfo) else None
    name = " ".join(found.mer_name.split()) if found and found.mer_name else None
    amount = found.total_amount if found else None
    return Looked(
        env=ref.env,
        mid=ref.mid,
        qr_code_id=ref.qr_code_id,
        outcome=outcome,
        at=at,
        merchant=name[:MERCHANT_CHARS] if name else None,
        amount_fen=int(amount) if amount is not None else None,
        payment=answer.payment.status if answer and answer.payment else None,
    )


class History:
    """Each person's last HISTORY_KEPT lookups: in memory, and in Redis when given a store."""

    def __init__(self, *, store: FleetStore | None = None, people: int = MAX_PEOPLE) -> None:
        self._fleet = FleetHistory(store) if store is not None else None
        self._people = people
        # A tuple a person, newest first: a deque(maxlen=...) allocates a block of 64 slots
        # (about 600 bytes) for each person, whatever their number of lookups.
        self._local: OrderedDict[str, tuple[Looked, ...]] = OrderedDict()

    async def add(self, user_id: str, entry: Looked) -> None:
        """*entry* first in *user_id*'s list, here and (for the fleet) in Redis."""
        kept = self._local.pop(user_id, ())
        self._local[user_id] = (entry, *kept[: HISTORY_KEPT - 1])
        while len(self._local) > self._people:
            self._local.popitem(last=False)
        if self._fleet is not None:
            await self._fleet.push(user_id, entry.encode(), keep=HISTORY_KEPT, seconds=KEEP_SECONDS)

    async def of(self, user_id: str, *, now: datetime) -> list[Looked]:
        """*user_id*'s lookups of the last KEEP_SECONDS, newest first; only theirs."""
        entries: list[Looked] = list(self._local.get(user_id, ()))
        if self._fleet is not None:
            kept = await self._fleet.read(user_id, keep=HISTORY_KEPT)
            if not isinstance(kept, Lost):
                entries = _readable(kept)
        since = now - timedelta(seconds=KEEP_SECONDS)
        return [entry for entry in entries if entry.at >= since]


def _readable(texts: list[str]) -> list[Looked]:
    """The entries this version can read; any other (by hand, another version) is skipped."""
    entries = []
    for text in texts:
        try:
            entries.append(Looked.decode(text))
        except (ValueError, TypeError, KeyError, AttributeError):
            log.debug("skipped an unreadable lookup in a user's history")
    return entries
