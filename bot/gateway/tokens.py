"""Access-token cache for OPEN-ACCESS-TOKEN: one token per process, one refresh in flight.

The provider allows at most 10 live tokens per appId, each valid an hour, so
a token per call is wrong and so is a stampede of refreshes: concurrent
callers on a cold or expiring cache all wait on the same request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# Refresh this long before expiry (capped at a tenth of the lifetime), so a
# token never expires between our check and the gateway's.
REFRESH_MARGIN_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint gave: the token and its lifetime in seconds."""

    value: str
    expires_in: float

    def __repr__(self) -> str:
        return f"IssuedToken(value='***', expires_in={self.expires_in})"


@dataclass(frozen=True, slots=True)
class _Cached:
    value: str
    refresh_at: float
    expires_at: float


class TokenCache:
    """Hands out a valid access token, fetching one only when needed (single flight)."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[IssuedToken]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._cached: _Cached | None = None
        self._inflight: asyncio.Future[str] | None = None
        self.fetches = 0  # token requests started; tests and the benchmark read it

    def __repr__(self) -> str:
        state = "empty" if self._cached is None else "cached"
        return f"<TokenCache {state}, fetches={self.fetches}>"

    async def get(self) -> str:
        """A token to use now. Waits on the refresh already in flight, if any."""
        cached = self._cached
        now = self._clock()
        if cached is not None and now < cached.refresh_at:
            return cached.value
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._refresh())
        try:
            # shield: one caller's deadline must not cancel everyone's refresh.
            return await asyncio.shield(self._inflight)
        except Exception:
            # A refresh ahead of expiry failed, but the old token still works.
            if cached is not None and self._clock() < cached.expires_at:
                return cached.value
            raise

    def invalidate(self, token: str) -> None:
        """Forget *token* after the gateway rejected it (only if it is still the cached one)."""
        if self._cached is not None and self._cached.value == token:
            self._cached = None

    async def _refresh(self) -> str:
        self.fetches += 1
        try:
            issued = await self._fetch()
            now = self._clock()
            margin = min(REFRESH_MARGIN_SECONDS, issued.expires_in / 10)
            self._cached = _Cached(
                value=issued.value,
                refresh_at=now + issued.expires_in - margin,
                expires_at=now + issued.expires_in,
            )
            return issued.value
        finally:
            self._inflight = None
