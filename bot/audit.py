"""The audit trail: one JSON line per lookup, refused or not; and the reader for ``qrinfo audit``.

A line says who looked up what, where, how it ended and how long it took;
never a secret and never the card's content. Lines are written by a
background thread, so the event loop never waits on the disk; a file is
opened for append at start (a path that cannot be appended to refuses to
start) and survives restarts. A write that fails later (disk full, closed
pipe) is logged once, shown by ``AuditLog.health()``, and lookups go on.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import queue
import re
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal, get_type_hints

Action = Literal["command", "refresh", "share", "form"]
STDOUT = "-"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One lookup. Field names are the gateway's, as people search for them.

    ``outcome``: found, an errCode, refused, busy, paused, unavailable, misconfigured, invalid.
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


class AuditDestinationError(Exception):
    """QRINFO_AUDIT_LOG names something that cannot be appended to; one line, naming it."""


@dataclass(frozen=True, slots=True)
class AuditHealth:
    """The writer's state, for /healthz. ``lines_lost`` counts since start, recovered or not."""

    ok: bool = True
    failing_since: str | None = None
    error: str | None = None
    lines_lost: int = 0


class AuditLog:
    """Writes AuditEvents as JSON lines to stdout or a file, off the event loop.

    At most *max_queued* lines wait for the writer: a destination that stops
    taking them (a stalled pipe, a hung network disk) costs lines, counted and
    shown in /healthz, never memory or a hung shutdown.
    """

    def __init__(self, destination: str = STDOUT, *, max_queued: int = 10_000) -> None:
        self.destination = destination
        self._name = "stdout" if destination == STDOUT else destination
        self._stream = _open_for_append(destination)
        # Replaced whole under the lock: the loop (a full queue) and the writer both report.
        self._health = AuditHealth()
        self._health_lock = threading.Lock()
        self._lost_while_failing = 0
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=max_queued)
        self._writer = threading.Thread(target=self._write_lines, name="qrinfo-audit", daemon=True)
        self._writer.start()

    def record(self, event: AuditEvent) -> None:
        """Queue one line; returns at once, whatever the destination is doing."""
        try:
            self._queue.put_nowait(event.to_json())
        except queue.Full:
            self._failed(f"{self._queue.maxsize} lines wait for a destination that takes none")

    def health(self) -> dict[str, Any]:
        """``ok``, ``failing_since``, ``error`` and ``lines_lost``, as /healthz shows them."""
        return asdict(self._health)

    def close(self, *, wait: float = 5.0) -> None:
        """Write what is queued (for at most *wait* seconds) and release the file. Safe twice."""
        if self._writer.is_alive():
            until = time.monotonic() + wait  # one budget for both steps
            with contextlib.suppress(queue.Full):  # a full queue: the writer is stuck anyway
                self._queue.put(None, timeout=wait)
            self._writer.join(max(0.0, until - time.monotonic()))
        if self._writer.is_alive():
            log.error(
                "audit trail: %s takes no more lines; %d not written at exit",
                self._name,
                self._queue.qsize(),
            )
            return  # the stream stays open: the writer is inside a write on it
        if self.destination != STDOUT:
            self._stream.close()

    def _write_lines(self) -> None:
        while (line := self._queue.get()) is not None:
            # A lone surrogate (possible in JSON from Slack) becomes a valid \uXXXX escape.
            data = memoryview(f"{line}\n".encode("utf-8", "backslashreplace"))
            try:
                while data:  # a full disk may take part of a line, then refuse the rest
                    data = data[self._stream.write(data) :]
                self._stream.flush()
            except (OSError, ValueError) as exc:  # ValueError: the stream was closed under us
                self._failed(str(exc))
            else:
                if not self._health.ok:
                    self._recovered()

    # The state changes before the log line, so whoever reads the line sees the new state.
    def _failed(self, error: str) -> None:
        with self._health_lock:
            was_ok = self._health.ok
            since = datetime.now(UTC).isoformat() if was_ok else self._health.failing_since
            self._lost_while_failing += 1
            self._health = AuditHealth(
                ok=False, failing_since=since, error=error, lines_lost=self._health.lines_lost + 1
            )
        if was_ok:
            log.error(
                "audit trail: cannot write to %s (%s); lookups go on without audit lines "
                "until it works again",
                self._name,
                error,
            )

    def _recovered(self) -> None:
        with self._health_lock:
            self._health = AuditHealth(lines_lost=self._health.lines_lost)
            lost, self._lost_while_failing = self._lost_while_failing, 0
        log.warning("audit trail: writing to %s again (lines lost: %d)", self._name, lost)


def _open_for_append(destination: str) -> BinaryIO:
    """Open now, so a wrong QRINFO_AUDIT_LOG stops the start, not the first lookup."""
    if destination == STDOUT:
        # Bytes: the trail is UTF-8 whatever the locale says.
        stdout: BinaryIO | None = getattr(sys.stdout, "buffer", None)
        if stdout is None:
            raise AuditDestinationError(
                "QRINFO_AUDIT_LOG: - means stdout, and this process has none; set a file path"
            )
        return stdout
    if destination.endswith(("/", os.sep)):
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG: {destination} names a directory; expected a file to append to, "
            f"like {destination.rstrip('/' + os.sep)}/audit.jsonl, or - for stdout"
        )
    if not destination.strip():
        raise AuditDestinationError(
            "QRINFO_AUDIT_LOG is empty; expected a file to append to, like "
            "/var/log/qrinfo/audit.jsonl, or - for stdout"
        )
    path = Path(destination)
    if path.is_dir():
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG: {destination} is a directory; expected a file to append to, "
            "or - for stdout"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG: cannot create the directory {exc.filename or path.parent} "
            f"for {destination} ({exc.strerror})"
        ) from None
    try:
        # Non-blocking to open: a FIFO nobody reads would otherwise hang the start (ENXIO).
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        reason = "a pipe nobody reads" if exc.errno == errno.ENXIO else exc.strerror
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG: cannot append to {destination} ({reason})"
        ) from None
    os.set_blocking(fd, True)  # writes happen on the writer thread: they may wait
    # Unbuffered: one write per line, so a failure is known with the line that met it.
    return open(fd, "ab", buffering=0)  # closed by AuditLog.close()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- qrinfo audit ---------------------------------------------------------------------------

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
    if not isinstance(data, dict) or data.keys() != _FIELD_TYPES.keys():
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


class AuditReader:
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
    "mid",
    "qrCodeId",
    "outcome",
    "msgId",
    "durationMs",
)


def format_table(events: list[AuditEvent]) -> str:
    """Aligned columns, one line per event; control characters shown escaped."""
    rows = [COLUMNS] + [
        tuple("" if v is None else _printable(str(v)) for v in asdict(e).values()) for e in events
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _printable(text: str) -> str:
    # Typed text reaches the trail (an invalid qrCodeId, say); an escape sequence
    # in it must not drive the operator's terminal, nor a lone surrogate break print().
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
