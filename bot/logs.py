"""Log lines as text or as one JSON object each, and the lookup each line belongs to.

The entry point calls :func:`configure` once. :func:`bind` and :func:`bind_now` say
which lookup the code running now works for; the fields live in a context variable (so
every task has its own), and every line logged meanwhile carries them: ours and the
libraries' alike, since the handler on the root logger adds them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import Any, Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The lookup fields a line can carry, in the order a JSON line shows them.
FIELDS = ("msgId", "team", "user", "action")

_NONE: Mapping[str, str] = MappingProxyType({})
_current: ContextVar[Mapping[str, str]] = ContextVar("qrinfo_log_fields", default=_NONE)
# Set on an exception leaving a bind(): the fields where it was raised, for the line that
# logs it further out (the listener's error handler runs after every bind has ended).
_RAISED_WITH = "_qrinfo_log_fields"


def _with(**fields: str | None) -> Mapping[str, str]:
    """The current fields, updated with *fields* (None leaves a field as it is)."""
    given = {key: value for key, value in fields.items() if value is not None}
    return MappingProxyType({**_current.get(), **given}) if given else _current.get()


class bind:  # lowercase: used like a function, as contextlib.suppress is
    """``with bind(team=..., user=..., action=...):`` lines logged inside carry these fields.

    On exit the fields are what they were before, whatever :func:`bind_now` added
    inside. An exception leaving the block takes the fields with it, so the line that
    finally logs it (outside every bind) still says which lookup it broke.
    """

    def __init__(
        self,
        *,
        msgId: str | None = None,  # spelt as the gateway and the audit log spell it
        team: str | None = None,
        user: str | None = None,
        action: str | None = None,
    ) -> None:
        self._fields = {"msgId": msgId, "team": team, "user": user, "action": action}
        self._token: Token[Mapping[str, str]] | None = None

    def __enter__(self) -> None:
        self._token = _current.set(_with(**self._fields))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # The innermost bind knows the most (a msgId bound inside it): the first one keeps.
        if isinstance(error, Exception) and not hasattr(error, _RAISED_WITH):
            # (An exception that takes no attribute is logged without them.)
            with contextlib.suppress(AttributeError):
                setattr(error, _RAISED_WITH, _current.get())
        assert self._token is not None  # noqa: S101  # __exit__ follows __enter__
        _current.reset(self._token)


def bind_now(
    *,
    msgId: str | None = None,
    team: str | None = None,
    user: str | None = None,
    action: str | None = None,
) -> None:
    """Add fields from here on: to the end of the innermost :class:`bind` (which then
    restores what was before it), or, outside any, for the rest of the current task."""
    _current.set(_with(msgId=msgId, team=team, user=user, action=action))


class _LookupFields(logging.Filter):
    """Copies the current lookup's fields onto every record the handler gets."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _current.get()
        error = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
        raised_with: Mapping[str, str] | None = getattr(error, _RAISED_WITH, None)
        for key, value in {**(raised_with or {}), **fields}.items():
            setattr(record, key, value)
        return True


class _JsonLines(JsonFormatter):
    """One JSON object a record: time, level, logger, message, the lookup's fields, and
    exc_info (the traceback, one string) when there is one.

    Extra attributes a library puts on its records are left out (stamina's retry hook
    would add a call's arguments): a JSON line says what the text line says, plus the lookup.
    """

    def __init__(self) -> None:
        super().__init__(json_ensure_ascii=False)

    def add_fields(
        self,
        log_data: dict[str, Any],
        record: logging.LogRecord,
        message_dict: dict[str, Any],
    ) -> None:
        log_data["time"] = _utc_iso(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                log_data[key] = value
        for key, value in message_dict.items():  # exc_info, stack_info (or a dict logged)
            log_data.setdefault(key, value)


def _utc_iso(timestamp: float) -> str:
    """ISO 8601 in UTC, to the millisecond: 2026-11-25T04:00:00.123Z."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Handler(logging.StreamHandler[TextIO]):
    """The one handler :func:`configure` installs. Given no stream, it writes to sys.stderr
    as it is at each line (as logging's last resort does), not to one it kept."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream)
        self._follows_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follows_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure(format: LogFormat, *, verbose: bool, stream: TextIO | None = None) -> None:
    """Log to *stream* (stderr) in *format*, INFO and up if *verbose*, else WARNING and up.

    Called again, it replaces the handler it installed before.
    """
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if isinstance(handler, _Handler)]:
        root.removeHandler(old)
        old.close()
    handler = _Handler(stream)
    handler.setFormatter(_JsonLines() if format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_LookupFields())
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def fail_line(message: str, format: LogFormat) -> str:
    """The line a command ends with when it fails: *message* itself as text; in JSON, one
    object like every log line (level ERROR, logger qrinfo), line breaks escaped."""
    if format == "text":
        return message
    record = logging.LogRecord("qrinfo", logging.ERROR, __file__, 0, message, None, None)
    return _JsonLines().format(record)
