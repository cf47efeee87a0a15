"""The access-token cache: expiry, early refresh, single flight, invalidation."""

from __future__ import annotations

import asyncio

import pytest

from bot.gateway.tokens import IssuedToken, TokenCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """Hands out token-1, token-2, ... and counts calls; may be told to fail."""

    def __init__(self, expires_in: float = 3600) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.fail = False

    async def __call__(self) -> IssuedToken:
        self.calls += 1
        await asyncio.sleep(0)
        if self.fail:
            raise ConnectionError("token endpoint down")
        return IssuedToken(value=f"token-{self.calls}", expires_in=self.expires_in)


async def test_a_cached_token_is_reused_until_it_nears_expiry() -> None:
    """Within its life (less the margin) the same token is handed out with no new fetch."""
    clock, issuer = FakeClock(), Issuer()
    cache = TokenCache(issuer, clock=clock)
    assert await cache.get() == "token-1"
    clock.now += 3000
    assert await cache.get() == "token-1"
    assert issuer.calls == 1


async def test_a_token_is_refreshed_ahead_of_expiry() -> None:
    """Five minutes before an hour-long token expires, a new one is fetched."""
    clock, issuer = FakeClock(), Issuer()
    cache = TokenCache(issuer, clock=clock)
    await cache.get()
    clock.now += 3600 - 299
    assert await cache.get() == "token-2"


async def test_an_expired_token_is_replaced() -> None:
    """After expiry the cache fetches a new token."""
    clock, issuer = FakeClock(), Issuer(expires_in=60)
    cache = TokenCache(issuer, clock=clock)
    await cache.get()
    clock.now += 61
    assert await cache.get() == "token-2"


async def test_a_failed_early_refresh_falls_back_to_the_still_valid_token() -> None:
    """If refreshing ahead of expiry fails, the old token is used while it lasts."""
    clock, issuer = FakeClock(), Issuer()
    cache = TokenCache(issuer, clock=clock)
    await cache.get()
    clock.now += 3400
    issuer.fail = True
    assert await cache.get() == "token-1"
    clock.now += 300
    with pytest.raises(ConnectionError):
        await cache.get()


async def test_concurrent_callers_share_one_refresh() -> None:
    """A hundred callers on a cold cache cause one fetch and all get its token."""
    issuer = Issuer()
    cache = TokenCache(issuer, clock=FakeClock())
    tokens = await asyncio.gather(*(cache.get() for _ in range(100)))
    assert set(tokens) == {"token-1"}
    assert issuer.calls == 1


async def test_a_cancelled_caller_does_not_cancel_the_shared_refresh() -> None:
    """One waiter's deadline leaves the refresh running for the others."""
    issuer = Issuer()
    cache = TokenCache(issuer, clock=FakeClock())
    first = asyncio.ensure_future(cache.get())
    second = asyncio.ensure_future(cache.get())
    await asyncio.sleep(0)
    first.cancel()
    assert await second == "token-1"
    assert issuer.calls == 1


async def test_invalidate_forgets_only_the_rejected_token() -> None:
    """Invalidating a token that was already replaced leaves the new one alone."""
    issuer = Issuer()
    cache = TokenCache(issuer, clock=FakeClock())
    await cache.get()
    await cache.invalidate("token-1")
    assert await cache.get() == "token-2"
    await cache.invalidate("token-1")  # a late rejection of the old token
    assert await cache.get() == "token-2"
    assert issuer.calls == 2


def test_reprs_hide_the_token() -> None:
    """Neither the issued token nor the cache shows its value."""
    assert "s3cret" not in repr(IssuedToken(value="s3cret", expires_in=1))
