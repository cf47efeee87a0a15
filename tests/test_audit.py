"""The audit trail never fails silently, and ``qrinfo audit`` reads only its own lines."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.audit import AuditEvent, AuditLog
from bot.cli import main
from bot.config import ConfigError, load_settings
from bot.gateway.client import create_client, new_http_client
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.slack.app import build_app, fixed_authorize
from bot.slack.lookups import Services
from bot.slack.server import health_report
from bot.slack.simulate import signed_request, slash_command_body
from bot.slack.sink import ResponseSink
from tests.slack.conftest import FAST, SEED_TEXT, SIGNING_SECRET, TEST_AUTHORIZATION
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi, serve_fake_slack

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
    logger = logging.getLogger("bot.audit")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async for fake in serve_fake_slack():
        yield fake


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
    """AuditLog on a directory raises a ConfigError that names QRINFO_AUDIT_LOG and says why."""
    with pytest.raises(ConfigError) as caught:
        AuditLog(str(tmp_path))
    assert str(caught.value) == (
        f"QRINFO_AUDIT_LOG: {tmp_path} is a directory; expected a file to append to, "
        "or - for stdout"
    )


def test_a_parent_that_cannot_be_created_is_refused_at_once(tmp_path: Path) -> None:
    """A file where the log's directory should be: refused with the directory and the OS reason."""
    (tmp_path / "taken").write_text("")
    with pytest.raises(ConfigError) as caught:
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
    with pytest.raises(ConfigError, match=r"^QRINFO_AUDIT_LOG: cannot append to .*Permission den"):
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
    services = Services(
        settings=settings, gateway=create_client(settings, http, backoff=FAST), audit=audit
    )
    app = build_app(
        settings,
        services.gateway,
        authorize=fixed_authorize(TEST_AUTHORIZATION),
        services=services,
    )
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
