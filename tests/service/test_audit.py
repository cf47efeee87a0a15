"""The audit trail never fails silently, and ``qrinfo audit`` reads only its own lines."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.gateway.transport import new_http_client
from bot.kit.simulate import signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.service.audit import AuditDestinationError, AuditEvent, AuditLog
from bot.wiring import build_gateway, build_services, build_slack_app, health_report
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi
from tests.slack.helpers import SEED_TEXT, SIGNING_SECRET, TEST_AUTHORIZATION

WAIT = 5.0
ENOSPC = "[Errno 28] No space left on device"
EVENT = AuditEvent(
    "2099-01-01T00:00:00.000Z", "T", "U1", "C", "command", "898340149000005", "q", "found", "m", 3
)


class Heard(logging.Handler):
    """The audit module's log records, as they come, from whichever thread."""

    def __init__(self) -> None:
        super().__init__()
        self.records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self.all: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.all.append(record)
        self.records.put(record)

    def next(self) -> logging.LogRecord:
        return self.records.get(timeout=WAIT)


@pytest.fixture
def heard() -> Iterator[Heard]:
    handler = Heard()
    logger = logging.getLogger("bot.service.audit")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def line(**changes: Any) -> bytes:
    """One audit line as the writer makes it, with *changes* (None values drop the field)."""
    data = json.loads(EVENT.to_json()) | changes
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


def run_audit(
    path: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[str], str]:
    code = main(["audit", "--file", str(path), *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


# --- opening -----------------------------------------------------------------------------------


def test_a_directory_is_refused_at_once_naming_the_variable(tmp_path: Path) -> None:
    """AuditLog on a directory raises an error that names QRINFO_AUDIT_LOG and says why."""
    with pytest.raises(AuditDestinationError) as caught:
        AuditLog(str(tmp_path))
    assert str(caught.value) == (
        f"QRINFO_AUDIT_LOG: {tmp_path} is a directory; expected a file to append to, "
        "or - for stdout"
    )


def test_a_parent_that_cannot_be_created_is_refused_at_once(tmp_path: Path) -> None:
    """A file where the log's directory should be: refused with the directory and the OS reason."""
    (tmp_path / "taken").write_text("")
    with pytest.raises(AuditDestinationError) as caught:
        AuditLog(str(tmp_path / "taken" / "audit.jsonl"))
    assert str(caught.value) == (
        f"QRINFO_AUDIT_LOG: cannot create the directory {tmp_path / 'taken'} "
        f"for {tmp_path / 'taken' / 'audit.jsonl'} (File exists)"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes whatever the mode bits say")
def test_a_file_without_write_permission_is_refused_at_once(tmp_path: Path) -> None:
    """A read-only file: refused at once with 'Permission denied', not at the first lookup."""
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    path.chmod(0o444)
    refused = r"^QRINFO_AUDIT_LOG: cannot append to .*Permission den"
    with pytest.raises(AuditDestinationError, match=refused):
        AuditLog(str(path))


async def test_serve_refuses_to_start_on_a_bad_audit_log_before_asking_slack(
    tmp_path: Path,
    slack_api: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """qrinfo serve with QRINFO_AUDIT_LOG a directory: exit 4, one configuration-error line."""
    slack_api.token_ok = False  # had serve asked Slack first, it would say so instead
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("QRINFO_AUDIT_LOG", str(tmp_path))
    assert await asyncio.to_thread(main, ["serve", "--http", "--port", "0"]) == 4
    assert capsys.readouterr().err == (
        f"configuration error: QRINFO_AUDIT_LOG: {tmp_path} is a directory; "
        "expected a file to append to, or - for stdout\n"
    )
    assert slack_api.calls == []


# --- writing -------------------------------------------------------------------------------------


def test_a_full_disk_is_logged_once_without_a_traceback(heard: Heard) -> None:
    """Three lines to /dev/full: one ERROR naming the path and the OS error, no traceback."""
    audit = AuditLog("/dev/full")
    for _ in range(3):
        audit.record(EVENT)
    audit.close()
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in heard.all] == [
        (
            "ERROR",
            f"audit trail: cannot write to /dev/full ({ENOSPC}); lookups go on without audit "
            "lines until it works again",
            None,
        )
    ]
    assert audit.health() | {"failing_since": None} == {
        "ok": False,
        "failing_since": None,
        "error": ENOSPC,
        "lines_lost": 3,
    }


def test_a_closed_stdout_pipe_is_logged_once(heard: Heard, monkeypatch: pytest.MonkeyPatch) -> None:
    """QRINFO_AUDIT_LOG=- and nobody reading stdout: one ERROR, 'Broken pipe', health says so."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = open(write_end, "w", encoding="utf-8")  # noqa: SIM115  # closed below, on purpose
    monkeypatch.setattr(sys, "stdout", stdout)
    audit = AuditLog("-")
    audit.record(EVENT)
    audit.record(EVENT)
    audit.close()
    with pytest.raises(BrokenPipeError):
        stdout.close()  # what the writer could not write is still buffered
    assert [(r.levelname, r.getMessage()) for r in heard.all] == [
        (
            "ERROR",
            "audit trail: cannot write to stdout ([Errno 32] Broken pipe); lookups go on "
            "without audit lines until it works again",
        )
    ]
    assert audit.health()["error"] == "[Errno 32] Broken pipe"


def test_the_writer_recovers_when_writes_work_again_and_says_so(
    tmp_path: Path, heard: Heard
) -> None:
    """A pipe loses its reader, then gets one back: one ERROR, one WARNING, the next line in."""
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    audit = AuditLog(str(fifo))
    os.close(reader)
    audit.record(EVENT)  # nobody reads: Broken pipe
    assert heard.next().levelname == "ERROR"
    assert audit.health()["ok"] is False
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    audit.record(EVENT)
    recovered = heard.next()
    assert (recovered.levelname, recovered.getMessage()) == (
        "WARNING",
        f"audit trail: writing to {fifo} again (lines lost: 1)",
    )
    assert os.read(reader, 4096) == f"{EVENT.to_json()}\n".encode()
    assert audit.health() == {"ok": True, "failing_since": None, "error": None, "lines_lost": 1}
    audit.close()
    os.close(reader)
    assert len(heard.all) == 2


def test_a_destination_that_stops_taking_lines_costs_lines_not_memory_or_a_hung_exit(
    tmp_path: Path, heard: Heard
) -> None:
    """A pipe whose reader never reads: the queue stays bounded, health says so, close returns."""
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open, never read: writes block
    audit = AuditLog(str(fifo), max_queued=10)
    try:
        big = AuditEvent(**(asdict(EVENT) | {"channel": "C" * 70_000}))  # fills the pipe at once
        audit.record(big)
        _until(audit._queue.empty)  # the writer took it, and blocks inside its write
        for _ in range(49):  # ten wait; the rest are lost
            audit.record(big)
        failed = heard.next()
        assert (failed.levelname, failed.getMessage()) == (
            "ERROR",
            f"audit trail: cannot write to {fifo} (10 lines wait for a destination that takes "
            "none); lookups go on without audit lines until it works again",
        )
        health = audit.health()
        assert health["ok"] is False
        assert health["lines_lost"] >= 50 - 1 - 10
        audit.close(wait=0.2)  # a bound: the writer is stuck in a write and stays so
        stuck = heard.next()
        assert stuck.levelname == "ERROR"
        assert "takes no more lines" in stuck.getMessage()
    finally:
        os.close(reader)  # the blocked write fails; the daemon writer ends


def test_a_pipe_nobody_reads_is_refused_at_once_instead_of_hanging(tmp_path: Path) -> None:
    """Opening a FIFO with no reader would block the start forever: refused, naming the variable."""
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    with pytest.raises(AuditDestinationError, match=r"cannot append to .* \(a pipe nobody reads\)"):
        AuditLog(str(fifo))


def test_a_path_ending_in_a_slash_is_refused_as_a_directory(tmp_path: Path) -> None:
    """'…/newdir/' means a directory: refused, not turned into a file called newdir."""
    with pytest.raises(AuditDestinationError, match="names a directory"):
        AuditLog(f"{tmp_path}/newdir/")
    assert not (tmp_path / "newdir").exists()


def test_a_lone_surrogate_is_written_as_a_json_escape(tmp_path: Path) -> None:
    """Text no UTF-8 can hold (a lone surrogate from Slack's JSON) still makes a valid line."""
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path))
    audit.record(AuditEvent(EVENT.time, "T", "U\ud800", "C", "command", None, None, "x", None, 1))
    audit.close()
    assert json.loads(path.read_bytes().decode("utf-8"))["user"] == "U\ud800"


async def test_lookups_go_on_when_the_disk_is_full_and_healthz_says_so(
    slack_api: FakeSlackApi, heard: Heard
) -> None:
    """A /qrinfo with the trail on /dev/full gets its card; /healthz: ok, audit failing since."""
    settings = load_settings(slack_signing_secret=SIGNING_SECRET, slack_api_url=slack_api.url)
    http = new_http_client(transport=SandboxTransport(SandboxGateway()))
    audit = AuditLog("/dev/full")
    services = build_services(settings, build_gateway(settings, http), audit=audit)
    app = build_slack_app(settings, services, authorization=TEST_AUTHORIZATION).bolt
    try:
        async with ResponseSink() as sink:
            body = slash_command_body(SEED_TEXT, response_url=sink.url())
            assert (await app.async_dispatch(signed_request(body, SIGNING_SECRET))).status == 200
            card = (await sink.next(WAIT)).payload
        assert "测试商户" in json.dumps(card, ensure_ascii=False)
        assert (await asyncio.to_thread(heard.next)).levelname == "ERROR"
        report = health_report(services, mode="http", draining=False)
    finally:
        audit.close()
        await http.aclose()
    assert report["ok"] is True
    failing_since = report["audit"].pop("failing_since")
    assert datetime.fromisoformat(failing_since).tzinfo is not None
    assert report["audit"] == {"ok": False, "error": ENOSPC, "lines_lost": 1}


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        b"not json",
        b"[1, 2]",
        b"[" * 100_000,
        line(msgId=None),
        line(extra="field"),
        line(durationMs="3"),
        line(durationMs=True),
        line(user=7),
        line(time="yesterday"),
        line(time="2099-01-01T00:00:00"),
        line(user="caf\xe9").replace(b"\\u00e9", b"\xe9"),
    ],
    ids=[
        "bad-json",
        "not-an-object",
        "too-deep",
        "missing-field",
        "extra-field",
        "string-duration",
        "bool-duration",
        "number-user",
        "time-unparsable",
        "time-without-zone",
        "not-utf8",
    ],
)
def test_qrinfo_audit_skips_a_line_that_is_not_ours_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: bytes
) -> None:
    """A bad line before a good one: the good one is shown, stderr says one line was skipped."""
    path = tmp_path / "audit.jsonl"
    path.write_bytes(bad + b"\n" + line() + b"\n")
    code, out, err = run_audit(path, capsys, "--since", "2h")
    assert code == 0
    assert len(out) == 2
    assert out[1].startswith("2099-01-01T00:00:00.000Z")
    assert err == "skipped 1 line that is not an audit line\n"


def test_qrinfo_audit_counts_every_skipped_line_but_not_blank_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three foreign lines and a blank one among two good ones: 'skipped 3 lines'."""
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"\n".join([b"x", line(), b"", b"{}", b"\xff\xfe", line()]) + b"\n")
    code, out, err = run_audit(path, capsys)
    assert (code, len(out)) == (0, 3)
    assert err == "skipped 3 lines that are not audit lines\n"


def test_qrinfo_audit_prints_control_characters_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typed escape sequence or lone surrogate in a field reaches the terminal as text only."""
    path = tmp_path / "audit.jsonl"
    path.write_bytes(line(qrCodeId="\x1b[2J31942", user="U\ud800") + b"\n")
    code, out, err = run_audit(path, capsys)
    assert (code, err) == (0, "")
    assert "\\x1b[2J31942" in out[1]
    assert "U\\ud800" in out[1]
    assert "\x1b" not in out[1]


def test_qrinfo_audit_on_a_directory_or_a_missing_file_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 and one line on stderr for each, nothing on stdout."""
    assert run_audit(tmp_path, capsys) == (
        2,
        [],
        f"{tmp_path} is a directory; expected the audit log file, like {tmp_path}/audit.jsonl\n",
    )
    missing = tmp_path / "nothing.jsonl"
    assert run_audit(missing, capsys) == (2, [], f"no audit log at {missing}\n")


@pytest.mark.parametrize(
    "since",
    ["0s", "0d", "", "3651d", "999999999d", "99999999999999999999999s"],
    ids=["zero", "zero-days", "empty", "past-ten-years", "absurd-days", "absurd-seconds"],
)
def test_qrinfo_audit_refuses_a_since_that_is_not_a_positive_reasonable_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    """Exit 2 with the expected form and what was given, in one line."""
    path = tmp_path / "audit.jsonl"
    path.write_bytes(line() + b"\n")
    assert run_audit(path, capsys, "--since", since) == (
        2,
        [],
        "--since expects a positive number and s, m, h or d, at most 3650d (like 2h), "
        f"got {since!r}\n",
    )


def test_the_audit_file_is_appended_across_restarts(tmp_path: Path) -> None:
    """A second process (a new AuditLog) adds to the file, it does not replace it."""
    audit_path = tmp_path / "audit" / "qrinfo.jsonl"
    event = AuditEvent(
        "2026-11-25T12:00:00.000Z", "T", "U", "C", "command", "m", "q", "found", "x", 1
    )
    for _ in range(2):
        log = AuditLog(str(audit_path))
        log.record(event)
        log.close()
    assert len(audit_path.read_text().splitlines()) == 2


@pytest.mark.parametrize(
    "event",
    [
        EVENT,
        AuditEvent(
            time="2026-12-05T10:00:00Z",
            team=None,
            user=None,
            channel=None,
            action="form",
            mid=None,
            qrCodeId=None,
            outcome="invalid",
            msgId=None,
            durationMs=0,
        ),
        AuditEvent(
            time="t",
            team="T1",
            user="U1",
            channel="C1",
            action="command",
            mid="商户\u2028",
            qrCodeId='"q"\\',
            outcome="refused",
            msgId="m",
            durationMs=2**40,
            env="prod",
            payment="PAID",
        ),
    ],
    ids=["seed", "nothing-known", "odd-text"],
)
def test_a_line_is_the_events_fields_in_order_as_asdict_gives_them(event: AuditEvent) -> None:
    """The line is built without asdict's deep copy: the same bytes."""
    expected = json.dumps(asdict(event), ensure_ascii=False, separators=(",", ":"))
    assert event.to_json() == expected


def _until(condition: Callable[[], bool]) -> None:
    """Wait (a bounded while) until *condition* holds: a thread's progress, not a time."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "never came to pass"
        time.sleep(0.001)


class _HeldStream:
    """A stream whose first write waits until released, keeping every write's bytes; from
    the write numbered *fail_from* on, it takes *take* bytes and then raises ENOSPC."""

    def __init__(self, real: Any, *, fail_from: int = 10**9, take: int = 0) -> None:
        self._real = real  # the file the path names, for the writer's check that it still does
        self.entered, self.released = threading.Event(), threading.Event()
        self.writes: list[bytes] = []
        self._fail_from, self._take = fail_from, take

    def write(self, data: memoryview) -> int:
        number = len(self.writes)
        if number == 0:
            self.entered.set()
            self.released.wait(WAIT)
        if number > self._fail_from:
            raise OSError(28, "No space left on device")
        taken = bytes(data) if number < self._fail_from else bytes(data)[: self._take]
        self.writes.append(taken)
        return len(taken)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return int(self._real.fileno())

    def close(self) -> None:
        self._real.close()


def test_lines_queued_while_one_is_written_go_out_in_one_write(tmp_path: Path) -> None:
    """Under a burst the writer takes every line waiting behind the one it wrote: one write
    (and one wake-up of its thread) for them all, in order."""
    audit = AuditLog(str(tmp_path / "audit.log"))
    held = _HeldStream(audit._stream)
    audit._stream = held  # type: ignore[assignment]
    audit.record(EVENT)
    assert held.entered.wait(WAIT)
    events = [AuditEvent(**(asdict(EVENT) | {"user": f"U{n}"})) for n in range(5)]
    for event in events:
        audit.record(event)
    held.released.set()
    audit.close()
    assert held.writes == [
        f"{EVENT.to_json()}\n".encode(),
        "".join(f"{event.to_json()}\n" for event in events).encode(),
    ]


def test_a_batch_written_in_part_counts_only_the_lines_not_written_whole(
    tmp_path: Path, heard: Heard
) -> None:
    """A full disk that takes a line and a half of three: the half line and the third are
    lost (two), the first is not."""
    audit = AuditLog(str(tmp_path / "audit.log"))
    first = f"{EVENT.to_json()}\n".encode()
    held = _HeldStream(audit._stream, fail_from=1, take=len(first) + 5)
    audit._stream = held  # type: ignore[assignment]
    audit.record(EVENT)
    assert held.entered.wait(WAIT)
    for _ in range(3):
        audit.record(EVENT)
    held.released.set()
    audit.close()
    assert held.writes == [first, first + first[:5]]
    assert audit.health()["lines_lost"] == 2
