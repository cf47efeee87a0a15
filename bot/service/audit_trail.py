"""Reading the audit trail back for ``qrinfo audit``: only our own lines, counted when not.

A line is ours only if it is UTF-8 JSON with exactly AuditEvent's fields and
types and a time with a zone; anything else (another program's lines, a line
torn by a full disk, NUL padding after a crash) is skipped and counted.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, get_type_hints

from bot.i18n import printable
from bot.service.audit import AuditEvent

_SINCE = re.compile(r"([0-9]+)\s*([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SINCE = timedelta(days=3650)


def parse_since(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``7d`` -> a timedelta; ValueError unless 0 < it <= 3650d."""
    match = _SINCE.fullmatch(text.strip())
    # Checked as a number first: timedelta itself overflows on absurd values.
    seconds = int(match.group(1)) * _SECONDS[match.group(2)] if match else 0
    if not 0 < seconds <= MAX_SINCE.total_seconds():
        raise ValueError(
            "--since expects a positive number and s, m, h or d, at most 3650d (like 2h), "
            f"got {text!r}"
        )
    return timedelta(seconds=seconds)


# {"time": str, "team": str | None, ..., "durationMs": int}: what a line of ours holds.
_FIELD_TYPES = get_type_hints(AuditEvent)
# Fields a line may lack: written before they were recorded, or not known for the lookup.
_OPTIONAL = frozenset({"env", "payment"})
_REQUIRED = _FIELD_TYPES.keys() - _OPTIONAL


def parse_time(text: str) -> datetime | None:
    """An audit line's time, or None when it does not parse or has no zone."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def parse_line(line: bytes | str) -> AuditEvent | None:
    """The AuditEvent on one line, or None when the line is not one of ours."""
    try:
        # Decoded here: json.loads would guess UTF-16 or pass surrogates through.
        data = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict) or not _REQUIRED <= data.keys() <= _FIELD_TYPES.keys():
        return None
    for name, value in data.items():
        # bool is an int to Python, not to us.
        if not isinstance(value, _FIELD_TYPES[name]) or isinstance(value, bool):
            return None
    if parse_time(data["time"]) is None:
        return None
    return AuditEvent(**data)


LONGEST_LINE = 64 * 1024  # ours are a few hundred bytes


def open_audit_file(path: str) -> BinaryIO:
    """*path* opened for reading, if it is a regular file; OSError (with strerror) otherwise.

    Not a pipe (it would wait for a writer forever) nor a device (/dev/zero never ends).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO opens at once this way
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        kind = "a directory" if os.path.isdir(path) else "not a regular file"
        raise OSError(errno.EINVAL, f"{kind}, so not an audit log", path)
    os.set_blocking(fd, True)
    return open(fd, "rb")


def audit_lines(stream: BinaryIO, *, longest: int = LONGEST_LINE) -> Iterator[bytes]:
    """The lines of *stream*; one longer than *longest* comes as its first part only (not
    ours, so skipped and counted), never as a gigabyte in memory."""
    while line := stream.readline(longest + 1):
        if len(line) > longest and not line.endswith(b"\n"):
            while (rest := stream.readline(longest)) and not rest.endswith(b"\n"):
                pass
        yield line


class AuditTrail:
    """The AuditEvents in an audit file's lines, in order, read once.

    Lines that are not ours (bad JSON, other fields, a time without a zone,
    bytes that are not UTF-8) are passed over and counted in ``skipped``;
    blank lines are passed over silently.
    """

    def __init__(self, lines: Iterable[bytes | str]) -> None:
        self._lines = lines
        self.skipped = 0

    def __iter__(self) -> Iterator[AuditEvent]:
        for line in self._lines:
            event = parse_line(line)
            if event is not None:
                yield event
            elif line.strip():
                self.skipped += 1


def select(
    events: Iterable[AuditEvent],
    *,
    user: str | None = None,
    mid: str | None = None,
    since: timedelta | None = None,
    now: datetime | None = None,
) -> list[AuditEvent]:
    """The events that pass every filter given, in their order."""
    cutoff = None if since is None else (now or datetime.now(UTC)) - since
    chosen = []
    for event in events:
        if user and event.user != user:
            continue
        if mid and event.mid != mid:
            continue
        if cutoff is not None:
            when = parse_time(event.time)
            if when is None or when < cutoff:
                continue
        chosen.append(event)
    return chosen


COLUMNS = (
    "time",
    "team",
    "user",
    "channel",
    "action",
    "env",
    "mid",
    "qrCodeId",
    "outcome",
    "payment",
    "msgId",
    "durationMs",
)


def format_table(events: list[AuditEvent]) -> str:
    """Aligned columns, one line per event; control characters shown escaped."""
    rows = [COLUMNS] + [
        tuple("" if (v := fields[c]) is None else printable(str(v)) for c in COLUMNS)
        for fields in map(asdict, events)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
