"""Reading the audit trail back (bot/service/audit_trail.py): --since, our own lines only,
filters on an injected now, an endless line cut short, a table with control characters
escaped."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.service.audit import AuditEvent
from bot.service.audit_trail import (
    AuditTrail,
    audit_lines,
    format_table,
    parse_line,
    parse_since,
    parse_time,
    select,
)

LINE: dict[str, Any] = {
    "time": "2026-11-25T04:00:00.000Z",
    "team": "T",
    "user": "U1",
    "channel": "C",
    "action": "command",
    "mid": "898340149000005",
    "qrCodeId": "q",
    "outcome": "found",
    "msgId": "m",
    "durationMs": 3,
    "env": "sandbox",
}


def line(**changes: Any) -> str:
    return json.dumps(LINE | changes)


def test_since_reads_seconds_minutes_hours_days() -> None:
    """2h is two hours; anything else is refused with the expected form."""
    assert parse_since("2h").total_seconds() == 7200
    assert parse_since("90s").total_seconds() == 90
    with pytest.raises(ValueError, match="like 2h"):
        parse_since("two hours")
    assert select(AuditTrail([]), user="U") == []
    assert format_table([]).startswith("time")


@pytest.mark.parametrize(("text", "seconds"), [("1s", 1), (" 15m ", 900), ("3650d", 3650 * 86400)])
def test_since_takes_up_to_ten_years(text: str, seconds: int) -> None:
    assert parse_since(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["0s", "3651d", "-1h", "2w", "1.5h", "9" * 30 + "d"])
def test_since_refuses_nothing_too_much_and_other_units(text: str) -> None:
    with pytest.raises(ValueError, match=f"got {text!r}"):
        parse_since(text)


def test_a_line_of_ours_is_read_with_or_without_its_environment() -> None:
    event = parse_line(line())
    assert event is not None
    assert (event.user, event.env, event.durationMs) == ("U1", "sandbox", 3)
    before_env = {k: v for k, v in LINE.items() if k != "env"}
    older = parse_line(json.dumps(before_env).encode())
    assert older is not None
    assert older.env is None


@pytest.mark.parametrize(
    "text",
    [
        line(durationMs=True),  # a bool is no duration
        line(durationMs="3"),
        line(time="2026-11-25T04:00:00"),  # no zone
        line(time="yesterday"),
        line(extra=1),
        json.dumps([LINE]),
        "not json",
    ],
    ids=["bool", "string-number", "no-zone", "no-time", "extra-field", "a-list", "not-json"],
)
def test_a_line_not_ours_is_not_read(text: str) -> None:
    assert parse_line(text) is None


def test_bytes_that_are_not_utf8_are_not_ours() -> None:
    assert parse_line(line(user="é").replace("\\u00e9", "\xe9").encode("latin-1")) is None
    assert parse_line(line(user="é").encode()) is not None


def test_the_trail_counts_lines_skipped_but_not_blank_ones() -> None:
    trail = AuditTrail([line(), "torn {", "", "  \n", b"\x00\x00", line(user="U2")])
    assert [e.user for e in trail] == ["U1", "U2"]
    assert trail.skipped == 2


def test_select_filters_by_user_mid_and_a_since_counted_from_now() -> None:
    now = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    events = [
        AuditEvent(**(LINE | {"time": "2026-11-25T04:00:00.000Z"})),
        AuditEvent(**(LINE | {"time": "2026-11-25T05:30:00.000Z", "user": "U2"})),
        AuditEvent(**(LINE | {"time": "2026-11-25T05:45:00.000Z", "mid": "1"})),
    ]
    assert [e.user for e in select(events, since=timedelta(hours=1), now=now)] == ["U2", "U1"]
    assert select(events, user="U2") == [events[1]]
    assert select(events, mid="1") == [events[2]]


def test_a_time_is_read_only_with_its_zone() -> None:
    assert parse_time("2026-11-25T04:00:00+08:00") == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert parse_time("2026-11-25T04:00:00") is None


def test_an_endless_line_comes_as_its_first_part_and_the_next_line_is_whole() -> None:
    stream = io.BytesIO(b"x" * 100 + b"\n" + b"ok\n")
    assert list(audit_lines(stream, longest=10)) == [b"x" * 11, b"ok\n"]


def test_the_table_aligns_columns_and_escapes_control_characters() -> None:
    event = AuditEvent(**(LINE | {"qrCodeId": "\x1b[31mred", "channel": None}))
    header, row = format_table([event]).splitlines()
    assert header.split() == [
        "time", "team", "user", "channel", "action", "env", "mid", "qrCodeId", "outcome", "payment",
        "msgId", "durationMs",
    ]  # fmt: skip
    assert "\x1b" not in row
    assert "\\x1b[31mred" in row
    assert row.index("command") == header.index("action")
