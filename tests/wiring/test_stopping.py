"""The stop rule: which signal drains the lookups in flight and which stops at once."""

from __future__ import annotations

import signal

import pytest

from bot.wiring.stopping import ECHO_SECONDS, Did, StopRule

TERM, INT = signal.SIGTERM, signal.SIGINT


def said(signals: list[tuple[float, int]]) -> list[Did]:
    """What the rule did with each (time, signal), in order."""
    now = [0.0]
    rule = StopRule(lambda: now[0])
    answers = []
    for at, signum in signals:
        now[0] = at
        answers.append(rule.receive(signum))
    return answers


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        pytest.param([(0, TERM)], ["drain"], id="SIGTERM drains"),
        pytest.param([(0, INT)], ["drain"], id="Ctrl-C drains"),
        pytest.param(
            [(0, TERM), (0.003, TERM), (5, TERM), (60, TERM)],
            ["drain", "ignored", "ignored", "ignored"],
            id="SIGTERM never cuts the drain",
        ),
        pytest.param(
            [(0, INT), (0.002, INT)], ["drain", "ignored"], id="uv run's echo of Ctrl-C is no press"
        ),
        pytest.param(
            [(0, INT), (0.002, INT), (ECHO_SECONDS, INT)],
            ["drain", "ignored", "now"],
            id="a second Ctrl-C stops at once",
        ),
        pytest.param(
            [(0, TERM), (ECHO_SECONDS + 3, INT)],
            ["drain", "now"],
            id="Ctrl-C after a SIGTERM stops at once",
        ),
        pytest.param(
            [(0, INT), (2, INT), (3, INT)], ["drain", "now", "ignored"], id="at once only once"
        ),
    ],
)
def test_what_each_signal_does_given_the_ones_before(
    signals: list[tuple[float, int]], expected: list[str]
) -> None:
    """SIGTERM drains and is never read as "stop now"; Ctrl-C again, later than an echo, is."""
    assert said(signals) == expected
