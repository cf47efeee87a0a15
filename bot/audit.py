"""The audit trail: one JSON line per lookup, refused or not; and the reader for ``qrinfo audit``.

A line says who looked up what, where, how it ended and how long it took;
never a secret and never the card's content. Lines are written by a
background thread (a stdlib QueueHandler/QueueListener pair), so the event
loop never waits on the disk; a file is opened for append and survives restarts.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

Action = Literal["command", "refresh", "share", "form"]
STDOUT = "-"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One lookup. Field names are the gateway's, as people search for them.

    ``outcome``: found, an errCode, refused, busy, unavailable, misconfigured, invalid.
    """

    time: str  # ISO 8601, UTC
    team: str | None
    user: str | None
    channel: str | None
    action: str
    mid: str | None
    qrCodeId: str | None
    outcome: str
    msgId: str | None
    durationMs: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


class AuditLog:
    """Writes AuditEvents as JSON lines to stdout or a file, off the event loop."""

    def __init__(self, destination: str = STDOUT) -> None:
        self.destination = destination
        handler: logging.Handler
        if destination == STDOUT:
            handler = logging.StreamHandler(sys.stdout)
        else:
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(destination, mode="a", encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(message)s"))
        self._queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener = logging.handlers.QueueListener(self._queue, handler)
        self._handler = handler
        # A private logger: audit lines never mix with (or leak into) the app's logs.
        self._logger = logging.Logger(f"qrinfo.audit.{id(self)}")
        self._logger.addHandler(logging.handlers.QueueHandler(self._queue))
        self._listener.start()

    def record(self, event: AuditEvent) -> None:
        """Queue one line; returns at once."""
        self._logger.info(event.to_json())

    def close(self) -> None:
        """Write what is queued and release the file. Safe to call twice."""
        if self._listener._thread is not None:  # stop() fails when stopped
            self._listener.stop()
        self._handler.close()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- qrinfo audit ---------------------------------------------------------------------------

_SINCE = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``7d`` -> a timedelta; ValueError otherwise."""
    match = _SINCE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"--since expects a number and s, m, h or d (like 2h), got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def read_events(lines: Iterable[str]) -> Iterator[AuditEvent]:
    """AuditEvents from JSON lines; lines that are not ours are skipped."""
    for line in lines:
        try:
            data = json.loads(line)
            yield AuditEvent(**data)
        except (ValueError, TypeError):
            continue


def select(
    events: Iterable[AuditEvent],
    *,
    user: str | None = None,
    mid: str | None = None,
    since: timedelta | None = None,
    now: datetime | None = None,
) -> list[AuditEvent]:
    cutoff = ((now or datetime.now(UTC)) - since) if since else None
    chosen = []
    for event in events:
        if user and event.user != user:
            continue
        if mid and event.mid != mid:
            continue
        if cutoff and datetime.fromisoformat(event.time.replace("Z", "+00:00")) < cutoff:
            continue
        chosen.append(event)
    return chosen


COLUMNS = (
    "time",
    "team",
    "user",
    "channel",
    "action",
    "mid",
    "qrCodeId",
    "outcome",
    "msgId",
    "durationMs",
)


def format_table(events: list[AuditEvent]) -> str:
    """Aligned columns, one line per event."""
    rows = [COLUMNS] + [
        tuple("" if v is None else str(v) for v in asdict(e).values()) for e in events
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
