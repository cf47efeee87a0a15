"""Attempts with backoff: the first one without any retry machinery, the rest exactly as
stamina alone would make them."""

from __future__ import annotations

import pytest
import stamina

from bot.gateway.attempts import Retryable
from bot.gateway.retries import DEFAULT_BACKOFF, with_retries


class _Flaky:
    """Fails with Retryable *failures* times, then answers; counts its calls."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        if self.calls <= self.failures:
            raise Retryable(f"attempt {self.calls} failed")
        return f"answer {self.calls}"


async def test_an_answer_at_once_builds_no_retry_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call that answers the first time returns without stamina's retry context built."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("a retry context for an attempt that answered")

    monkeypatch.setattr(stamina, "retry_context", refuse)
    call = _Flaky(0)
    assert await with_retries(call, DEFAULT_BACKOFF) == "answer 1"
    assert call.calls == 1


@pytest.mark.parametrize(("failures", "answer"), [(1, "answer 2"), (2, "answer 3")])
async def test_failed_attempts_are_retried_until_one_answers(failures: int, answer: str) -> None:
    """Within stamina's test mode (three attempts, set by the suite for every test)."""
    call = _Flaky(failures)
    assert await with_retries(call, DEFAULT_BACKOFF) == answer
    assert call.calls == failures + 1


async def test_the_first_failure_counts_as_the_retry_contexts_first_attempt() -> None:
    """Three attempts in stamina's test mode, as before the first ran on its own: the last
    failure is what comes out."""
    call = _Flaky(10)
    with pytest.raises(Retryable, match="attempt 3 failed"):
        await with_retries(call, DEFAULT_BACKOFF)
    assert call.calls == 3


async def test_an_error_that_is_not_retryable_is_raised_at_once() -> None:
    """An error other than Retryable leaves after the first call, unchanged."""
    call = _Flaky(0, error=ValueError("not the gateway's"))
    with pytest.raises(ValueError, match="not the gateway's"):
        await with_retries(call, DEFAULT_BACKOFF)
    assert call.calls == 1
