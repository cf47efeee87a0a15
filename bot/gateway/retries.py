"""Retrying a gateway call with jittered exponential backoff (stamina), inside its deadline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

from bot.gateway.attempts import Retryable

# stamina's default hook logs every scheduled retry at WARNING ("stamina.retry_scheduled",
# no msgId, no reason): one more warning per retry of a lookup that will fail anyway. The
# client logs each failed attempt itself (INFO, with msgId and the real reason) and a failed
# lookup once, so the hook has nothing to add. The hooks are process-wide; this module is
# the project's only user of stamina. (Passing none also drops the Prometheus and structlog
# hooks stamina would add if those packages were installed: they are not.)
stamina.instrumentation.set_on_retry_hooks(())

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Jittered exponential backoff between attempts, all inside the lookup's deadline."""

    initial: float = 0.1
    maximum: float = 1.0
    jitter: float = 0.2


DEFAULT_BACKOFF = Backoff()


async def with_retries(call: Callable[[], Awaitable[T]], backoff: Backoff) -> T:
    """*call* until it returns or raises something other than Retryable, waiting
    *backoff* between tries; the deadline around the call decides when to stop.

    The first attempt runs before any retry machinery exists: most answer at once, and
    building stamina's context was a tenth of a gateway call's own CPU. A first failure
    is raised again as the retry context's first attempt, so the attempts and the waits
    are the ones stamina alone would have made (its test mode's count included).
    """
    try:
        return await call()
    except Retryable as failed:
        first: Retryable | None = failed
    retrying = stamina.retry_context(
        on=Retryable,
        attempts=None,  # the deadline around us decides when to stop
        timeout=None,
        wait_initial=backoff.initial,
        wait_max=backoff.maximum,
        wait_jitter=backoff.jitter,
    )
    async for attempt in retrying:
        with attempt:
            if first is not None:
                again, first = first, None
                raise again
            return await call()
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover
