"""What every command shares at the terminal (bot/terminal.py): output written now, a failure
to write said in one line, and the failure line in the log format."""

from __future__ import annotations

import errno
import io
import json
import sys

import pytest

from bot.terminal import EXIT_REJECTED, OutputFailed, fail, out


class Refusing(io.StringIO):
    """A stdout that will not take a line: *error* at each write."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


def test_out_prints_the_text_and_its_end(capsys: pytest.CaptureFixture[str]) -> None:
    out("card")
    out("code", end="")
    assert capsys.readouterr().out == "card\ncode"


def test_a_full_disk_is_an_output_failure_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", Refusing(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(OutputFailed, match=r"^No space left on device$"):
        out("card")


def test_a_reader_gone_is_left_to_main(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", Refusing(BrokenPipeError(errno.EPIPE, "Broken pipe")))
    with pytest.raises(BrokenPipeError):
        out("card")


def test_a_closed_stdout_is_an_output_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(OutputFailed, match="stdout is closed"):
        out("card")


def test_fail_writes_one_line_to_stderr_and_gives_the_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert fail(EXIT_REJECTED, "rejected by the gateway") == EXIT_REJECTED
    said = capsys.readouterr()
    assert (said.out, said.err) == ("", "rejected by the gateway\n")


def test_fail_in_json_logs_is_one_json_object(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QRINFO_LOG_FORMAT", "json")
    fail(4, "gateway unavailable\nsecond line")
    [line] = capsys.readouterr().err.splitlines()
    said = json.loads(line)
    assert said["message"] == "gateway unavailable\nsecond line"
    assert said["level"] == "ERROR"
