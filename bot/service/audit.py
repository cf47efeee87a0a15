"""The audit trail: one JSON line per lookup, refused or not (read back by audit_trail).

A line says who looked up what, where, how it ended and how long it took;
never a secret and never the card's content. Lines are written by a
background thread, so the event loop never waits on the disk; a file is
opened for append at start (a path that cannot be appended to refuses to
start) and survives restarts. A write that fails later (disk full, closed
pipe) is logged once, shown by ``AuditLog.health()``, and lookups go on.

Log rotation: before each line the writer checks that the path still names the
file it holds open (as the standard library's WatchedFileHandler does); when
logrotate has renamed it, or someone removed it, the path is opened afresh, so
no line goes on into a renamed or deleted file. :meth:`AuditLog.reopen` (SIGHUP,
logrotate's postrotate) asks for the same at the next line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import queue
import sys
import threading
import time
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

Action = Literal[
    "command", "refresh", "share", "form", "details", "show_qr", "raw_reply", "workflow"
]
STDOUT = "-"
FLUSH_SECONDS = 5.0  # at exit, the writer's time for the lines still queued
MAX_BATCH = 256  # lines written at once at most (a burst's, queued while the last was written)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One lookup. Field names are the gateway's, as people search for them.

    ``outcome``: found, an errCode, refused, unconfigured, busy, paused, unavailable,
    misconfigured, invalid.
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
    # The gateway's environment (sandbox, test, prod); lines written before it was
    # recorded have none.
    env: str | None = None
    # The bill's payment status (Payment.status) when bills/query was asked; older lines,
    # and lookups that found no bill, have none.
    payment: str | None = None

    def to_json(self) -> str:
        # Its fields are flat (str, int, None): read in order, as asdict() would copy them.
        fields = {name: getattr(self, name) for name in _EVENT_FIELDS}
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


_EVENT_FIELDS = tuple(f.name for f in dataclass_fields(AuditEvent))


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
        self._reopen_asked = False  # set by reopen() on the loop, read by the writer
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=max_queued)
        self._closing = False  # the writer took close()'s None from behind a batch
        self._writer = threading.Thread(target=self._write_lines, name="qrinfo-audit", daemon=True)
        self._writer.start()

    def record(self, event: AuditEvent) -> None:
        """Queue one line; returns at once, whatever the destination is doing."""
        try:
            self._queue.put_nowait(event.to_json())
        except queue.Full:
            self._failed(f"{self._queue.maxsize} lines wait for a destination that takes none")

    def reopen(self) -> None:
        """Open the file afresh before the next line (after a rotation); stdout stays."""
        self._reopen_asked = True

    def health(self) -> dict[str, Any]:
        """``ok``, ``failing_since``, ``error`` and ``lines_lost``, as /healthz shows them."""
        return asdict(self._health)

    def close(self, *, wait: float = FLUSH_SECONDS) -> None:
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
        while (batch := self._next_batch()) is not None:
            # A lone surrogate (possible in JSON from Slack) becomes a valid \uXXXX escape.
            data = memoryview(
                "".join(f"{line}\n" for line in batch).encode("utf-8", "backslashreplace")
            )
            try:
                self._follow_the_path()
                while data:  # a full disk may take part of a line, then refuse the rest
                    data = data[self._stream.write(data) :]
                self._stream.flush()
            except (OSError, ValueError) as exc:  # ValueError: the stream was closed under us
                self._failed(str(exc), lines=_unwritten(data) if data else len(batch))
            except AuditDestinationError as exc:  # the path cannot be opened afresh
                self._failed(str(exc).removeprefix("QRINFO_AUDIT_LOG: "), lines=len(batch))
            else:
                if not self._health.ok:
                    self._recovered()
            if self._closing:
                return

    def _next_batch(self) -> list[str] | None:
        """The next line, and every line queued behind it (one write and one flush for a
        burst's lines, and one wake-up of this thread); None once closing with none left."""
        line = self._queue.get()
        if line is None:
            return None
        batch = [line]
        while len(batch) < MAX_BATCH:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is None:
                self._closing = True
                break
            batch.append(line)
        return batch

    def _follow_the_path(self) -> None:
        """On the writer thread: reopen the file when asked to, or when the path no longer
        names the file held open (renamed, removed, replaced). AuditDestinationError when
        the path cannot be opened now; the next line tries again."""
        if self.destination == STDOUT:
            return
        if not (self._reopen_asked or self._moved()):
            return
        self._reopen_asked = False
        fresh = _open_for_append(self.destination)
        with contextlib.suppress(OSError):
            self._stream.close()
        self._stream = fresh
        log.info("audit trail: %s opened afresh", self._name)

    def _moved(self) -> bool:
        try:
            named = os.stat(self.destination)
        except FileNotFoundError:
            return True
        except OSError:
            return False  # cannot tell: go on where the lines went so far
        try:
            held = os.fstat(self._stream.fileno())
        except (OSError, ValueError):  # closed after a failed reopen
            return True
        return (named.st_dev, named.st_ino) != (held.st_dev, held.st_ino)

    # The state changes before the log line, so whoever reads the line sees the new state.
    def _failed(self, error: str, *, lines: int = 1) -> None:
        with self._health_lock:
            was_ok = self._health.ok
            since = datetime.now(UTC).isoformat() if was_ok else self._health.failing_since
            self._lost_while_failing += lines
            self._health = AuditHealth(
                ok=False,
                failing_since=since,
                error=error,
                lines_lost=self._health.lines_lost + lines,
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


def _unwritten(data: memoryview) -> int:
    """How many lines *data* (what was not written of a batch) ends; a line written in part
    is lost too."""
    return bytes(data).count(b"\n")


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
    path = _file_path(destination)
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


def _file_path(destination: str) -> Path:
    """*destination* as a file to append to; AuditDestinationError when it names no file."""
    expected = "expected a file to append to"
    if not destination.strip():
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG is empty; {expected}, like /var/log/qrinfo/audit.jsonl, "
            "or - for stdout"
        )
    if destination.endswith(("/", os.sep)):
        like = destination.rstrip("/" + os.sep) + "/audit.jsonl"
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG: {destination} names a directory; {expected}, like {like}, "
            "or - for stdout"
        )
    if Path(destination).is_dir():
        raise AuditDestinationError(
            f"QRINFO_AUDIT_LOG: {destination} is a directory; {expected}, or - for stdout"
        )
    return Path(destination)


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
