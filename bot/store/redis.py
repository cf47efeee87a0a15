"""Redis, shared by every replica, never a reason for a lookup to fail.

Every call has a short timeout. When Redis cannot be reached the caller gets
:data:`LOST` and uses its local state (limits per replica again); one WARNING
says so, /healthz and the metrics say "degraded", and while it is lost at most
one call a second tries it again, so a dead Redis costs the others nothing.
When a call works again, one WARNING says so and the shared state is used again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from bot.fleet_state import LOST, Lost

if TYPE_CHECKING:
    from redis.asyncio import BlockingConnectionPool, Redis

log = logging.getLogger(__name__)

T = TypeVar("T")

CALL_SECONDS = 0.25  # a Redis call on the same network answers in a millisecond
MAX_CONNECTIONS = 256  # per process; more calls at once wait for one
RETRY_SECONDS = 1.0  # while lost: how often one call tries again


class RedisUnreachable(Exception):
    """Redis did not answer at start (``reason`` says how)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class FleetStore:
    """One Redis connection pool for the process, with a key prefix and a lost/back state."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "qrinfo",
        call_seconds: float = CALL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix = prefix
        self.call_seconds = call_seconds
        # redis-py is imported here, not at the top: about 10 MB of RSS, and a process
        # without QRINFO_REDIS_URL never builds a FleetStore.
        from redis.asyncio import Redis  # noqa: PLC0415
        from redis.exceptions import RedisError  # noqa: PLC0415

        pool = _connection_pool(url, call_seconds)
        self.redis: Redis = Redis(connection_pool=pool)
        self._failures: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
        self._where = _where(url)
        self._clock = clock
        self._lost_at: float | None = None  # when it was lost; None while it works
        self._next_try = 0.0
        self.losses = 0  # times it was lost, for the metrics
        self._reported: set[str] = set()  # unreadable values, each kind logged once

    def __repr__(self) -> str:
        return f"FleetStore({self._where}, prefix={self.prefix!r})"

    @property
    def degraded(self) -> bool:
        return self._lost_at is not None

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def check(self) -> None:
        """At start: RedisUnreachable unless Redis answers PING."""
        try:
            async with asyncio.timeout(self.call_seconds * 4):
                await self.redis.ping()
        except self._failures as exc:
            raise RedisUnreachable(f"no answer from Redis at {self._where} ({_why(exc)})") from None
        except RuntimeError as exc:
            if not closed_under_us(exc):
                raise
            raise RedisUnreachable(f"no answer from Redis at {self._where} ({_why(exc)})") from None

    async def run(self, what: str, call: Callable[[Redis], Awaitable[T]]) -> T | Lost:
        """*call*'s result, or LOST (Redis lost, or slower than its short timeout)."""
        if self._lost_at is not None and self._clock() < self._next_try:
            return LOST
        if self._lost_at is not None:
            self._next_try = self._clock() + RETRY_SECONDS  # this call is the one try
        try:
            async with asyncio.timeout(self.call_seconds * 2):
                result = await call(self.redis)
        except self._failures as exc:
            self._lost(what, exc)
            return LOST
        except RuntimeError as exc:
            if not closed_under_us(exc):
                raise
            self._lost(what, exc)
            return LOST
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # A value this version cannot read (written by hand, or by another version): a
            # miss for this call, never a failed lookup; Redis itself is fine.
            self._unreadable(what, exc)
            return LOST
        if self._lost_at is not None:
            self._back()
        return result

    def _lost(self, what: str, exc: BaseException) -> None:
        now = self._clock()
        self._next_try = now + RETRY_SECONDS
        if self._lost_at is None:
            self._lost_at = now
            self.losses += 1
            log.warning(
                "shared state: Redis at %s lost (%s while %s); going on with each replica's "
                "own state (limits per replica) until it is back",
                self._where,
                _why(exc),
                what,
            )

    def _unreadable(self, what: str, exc: BaseException) -> None:
        if what not in self._reported:
            self._reported.add(what)
            log.warning(
                "shared state: an unreadable value in Redis while %s (%s); ignored, this "
                "replica uses its own state for it",
                what,
                type(exc).__name__,
            )

    def _back(self) -> None:
        lost_for = self._clock() - (self._lost_at or self._clock())
        self._lost_at = None
        log.warning(
            "shared state: Redis at %s is back after %.0f s; shared again", self._where, lost_for
        )

    async def aclose(self) -> None:
        await self.redis.aclose()


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _connection_pool(url: str, call_seconds: float) -> BlockingConnectionPool:
    """A bounded pool that makes a call wait for a connection (within the call's own
    timeout) rather than fail: a burst must not read as "Redis lost". No retries: a
    script retried after a lost reply could take from a limit twice."""
    from redis.asyncio import BlockingConnectionPool  # noqa: PLC0415
    from redis.backoff import NoBackoff  # noqa: PLC0415
    from redis.maint_notifications import MaintNotificationsConfig  # noqa: PLC0415
    from redis.retry import Retry  # noqa: PLC0415

    return BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=None,
        socket_timeout=call_seconds,
        socket_connect_timeout=call_seconds,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
        # redis-py 8's default ("auto") also skips the check that a pooled connection is
        # still open, so a healthy Redis read as lost after its idle timeout (or a NAT's)
        # closed pooled connections; a single server sends no maintenance notices anyway.
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )


def closed_under_us(exc: RuntimeError) -> bool:
    """The connection's transport was closed while redis-py used it: uvloop says so with a
    RuntimeError ("unable to perform operation on <TCPTransport closed=True ...>; the
    handler is closed") where asyncio's loop raises an OSError; Redis is lost all the same."""
    said = str(exc)
    return "unable to perform operation on" in said and "closed" in said


def _where(url: str) -> str:
    """The URL without its password (``user:password@`` or ``?password=``): what log lines
    may show. The query string goes whole: it can hold nothing a reader needs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "(not a URL)"
    rest = rest.partition("?")[0]
    _, _, host = rest.rpartition("@")
    return f"{scheme}://{host}"
