"""Attempts (bot/gateway/attempts.py): one lookup's bookkeeping (count, elapsed time, the
last reason, the last reply) and its log lines: INFO per retried attempt, one line at its
end (WARNING only for an unavailable gateway)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

import bot.gateway.attempts as attempts_module
from bot.gateway.attempts import Attempts, Retryable
from bot.gateway.errors import GatewayRejected, GatewayUnavailable


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The module's monotonic clock, set by hand (now[0]); a lookup starts at now[0]."""
    clock = [50.0]
    monkeypatch.setattr(attempts_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    return clock


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records]


def test_elapsed_counts_from_the_start_of_the_lookup(now: list[float]) -> None:
    attempts = Attempts("m-1", started=now[0])
    now[0] += 1.25
    assert attempts.elapsed == 1.25


def test_unavailable_carries_the_attempts_the_time_and_the_msg_id(now: list[float]) -> None:
    attempts = Attempts("m-1", started=now[0])
    attempts.count = 3
    now[0] += 2
    error = attempts.unavailable("HTTP 503")
    assert (error.reason, error.attempts, error.elapsed, error.msg_id) == ("HTTP 503", 3, 2, "m-1")


def test_unavailable_before_any_attempt_counts_one(now: list[float]) -> None:
    assert Attempts(None).unavailable("deadline").attempts == 1


def test_the_last_reply_is_kept_as_parsed() -> None:
    attempts = Attempts("m")
    attempts.answered(503, "busy")
    attempts.answered(200, {"errCode": "SUCCESS"})
    assert attempts.status == 200
    assert attempts.reply == {"errCode": "SUCCESS"}


def test_a_failed_attempt_keeps_its_reason_and_logs_it_at_info(
    now: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.gateway.client")
    attempts = Attempts("m-2", started=now[0])
    attempts.count = 1
    failure = Retryable("HTTP 502 from the gateway")
    attempts.failed_attempt(failure)
    assert attempts.last_reason == failure.reason == str(failure)
    assert lines(caplog) == [
        ("INFO", "lookup attempt 1 failed msgId=m-2: HTTP 502 from the gateway")
    ]


def test_an_unavailable_end_is_the_one_warning_with_its_reason(
    now: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    attempts = Attempts("m-3", started=now[0])
    attempts.count = 2
    now[0] += 0.5
    attempts.failed(attempts.unavailable("connection refused"))
    assert lines(caplog) == [
        (
            "WARNING",
            "lookup failed msgId=m-3 attempts=2 elapsed_ms=500: connection refused",
        )
    ]


def test_a_business_answer_at_the_end_is_info_not_a_warning(
    now: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.gateway.client")
    attempts = Attempts("m-4", started=now[0])
    attempts.count = 1
    error = GatewayRejected(code="NO_BILL", message=None, msg_id="m-4")
    attempts.failed(error)
    [(level, line)] = lines(caplog)
    assert level == "INFO"
    assert line == f"lookup failed msgId=m-4 attempts=1 elapsed_ms=0: {error}"


def test_a_found_code_logs_what_was_found(
    now: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.gateway.client")
    attempts = Attempts("m-5", started=now[0])
    attempts.count = 1
    now[0] += 0.042
    attempts.found("898340149000005", "31942002268195125132885377")
    assert lines(caplog) == [
        (
            "INFO",
            "lookup found mid=898340149000005 qrCodeId=31942002268195125132885377 "
            "msgId=m-5 attempts=1 elapsed_ms=42",
        )
    ]


def test_an_unavailable_error_is_a_gateway_unavailable(now: list[float]) -> None:
    assert isinstance(Attempts(None).unavailable("x"), GatewayUnavailable)
