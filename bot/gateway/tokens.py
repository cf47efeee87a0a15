"""Access-token cache for OPEN-ACCESS-TOKEN: one token per process, one refresh in flight.

The provider allows at most 10 live tokens per appId, each valid an hour, so
a token per call is wrong and so is a stampede of refreshes: concurrent
callers on a cold or expiring cache all wait on the same request.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from bot.fleet_state import FleetToken, FleetTokens, Lost
from bot.gateway.attempts import Retryable
from bot.gateway.errors import GatewayAuthError, TokenLimitReached, is_token_limit
from bot.gateway.interpret import json_object, text
from bot.gateway.network import describe_transport_error, gateway_origin
from bot.gateway.protocol import JSON_HEADERS, TOKEN_PATH, NonceFactory, WallClock, utc_now
from bot.gateway.signing import header_timestamp, new_nonce, token_signature

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
    """Hands out a valid access token, fetching one only when needed (single flight).

    With *fleet* (several replicas on Redis) the fleet has one token: a replica
    takes the one in Redis, and only the one holding the refresh lock asks the
    gateway; the others wait for what it publishes. Without Redis (or while it
    is lost) the process fetches its own, as one replica would.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[IssuedToken]],
        *,
        fleet: FleetTokens | None = None,
        clock: Callable[[], float] = time.monotonic,
        poll_seconds: float = 0.05,
        wait_seconds: float | None = None,
    ) -> None:
        self._fetch = fetch
        self._fleet = fleet
        self._clock = clock
        self._poll = poll_seconds
        # How long to wait for another replica's refresh: its lock's life, and a moment.
        lock = fleet.lock_seconds if fleet is not None else 0.0
        self._wait = wait_seconds if wait_seconds is not None else lock + 1
        self._cached: _Cached | None = None
        self._rejected: str | None = None
        self._inflight: asyncio.Future[str] | None = None
        self.fetches = 0  # token requests started, shown by repr()
        self.outcomes = {"ok": 0, "refused": 0, "failed": 0}  # token requests ended, for metrics

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
            self._inflight = asyncio.ensure_future(self._refresh(cached))
        try:
            # shield: one caller's deadline must not cancel everyone's refresh.
            return await asyncio.shield(self._inflight)
        except Exception:
            # A refresh ahead of expiry failed, but the old token still works.
            if cached is not None and self._clock() < cached.expires_at:
                return cached.value
            raise

    def expires_in(self) -> float | None:
        """Seconds the cached token has left; None when none is held."""
        cached = self._cached
        return None if cached is None else cached.expires_at - self._clock()

    async def invalidate(self, token: str) -> None:
        """Forget *token* after the gateway rejected it (only if it is still the cached one,
        and in Redis only if it is still the fleet's)."""
        self._rejected = token
        if self._cached is not None and self._cached.value == token:
            self._cached = None
        if self._fleet is not None:
            await self._fleet.forget(token)

    async def _refresh(self, old: _Cached | None) -> str:
        try:
            if self._fleet is not None:
                adopted = await self._from_fleet(old)
                if adopted is not None:
                    return adopted
            issued = await self._counted_fetch()
            self._keep(issued.value, issued.expires_in)
            return issued.value
        finally:
            self._inflight = None

    async def _from_fleet(self, old: _Cached | None) -> str | None:
        """The fleet's token: Redis' if good, else ours once we hold the lock and fetched it,
        else the one another replica publishes; None when Redis is lost (fetch our own)."""
        fleet = self._fleet
        assert fleet is not None  # noqa: S101  # only called with one
        until = self._clock() + self._wait
        while True:
            adopted = self._adopt(fleet, await fleet.read())
            if adopted is not None:
                return adopted
            locked = await fleet.lock()
            if isinstance(locked, Lost):
                return None
            if locked:
                # Another replica may have published between our read and our lock.
                adopted = self._adopt(fleet, await fleet.read())
                if adopted is not None:
                    await fleet.unlock()
                    return adopted
                return await self._refresh_for_fleet(fleet)
            if old is not None and self._clock() < old.expires_at:
                return old.value  # another replica is refreshing; ours still works
            if self._clock() >= until:
                return None
            await asyncio.sleep(self._poll)

    def _adopt(self, fleet: FleetTokens, held: FleetToken | Lost | None) -> str | None:
        """The fleet's token, kept here, when it is one to use: not rejected, not due."""
        if not isinstance(held, FleetToken) or held.value == self._rejected:
            return None
        now = fleet.now()
        if now >= held.refresh_at:
            return None
        self._keep(held.value, held.expires_at - now, held.refresh_at - now)
        return held.value

    async def _refresh_for_fleet(self, fleet: FleetTokens) -> str:
        try:
            issued = await self._counted_fetch()
        except BaseException:
            await fleet.unlock()
            raise
        refresh_in = issued.expires_in - _margin(issued.expires_in)
        await fleet.publish(issued.value, issued.expires_in, refresh_in)
        self._keep(issued.value, issued.expires_in, refresh_in)
        return issued.value

    async def _counted_fetch(self) -> IssuedToken:
        self.fetches += 1
        try:
            issued = await self._fetch()
        except GatewayAuthError:
            self.outcomes["refused"] += 1
            raise
        except Exception:  # (a cancelled request is not a failed one)
            self.outcomes["failed"] += 1
            raise
        self.outcomes["ok"] += 1
        return issued

    def _keep(self, value: str, expires_in: float, refresh_in: float | None = None) -> None:
        now = self._clock()
        if refresh_in is None:
            refresh_in = expires_in - _margin(expires_in)
        self._cached = _Cached(
            value=value, refresh_at=now + refresh_in, expires_at=now + expires_in
        )


def _margin(lifetime: float) -> float:
    """Refresh this long before expiry: 5 minutes, or a tenth of a short lifetime."""
    return min(REFRESH_MARGIN_SECONDS, lifetime / 10)


async def fetch_token(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    app_id: str,
    app_key: SecretStr,
    wall_clock: WallClock = utc_now,
    nonce: NonceFactory = new_nonce,
    request_timeout: float = 8.0,
) -> IssuedToken:
    """Ask ``/v1/token/access`` for an access token. The appKey itself is never sent.

    Retryable for what another attempt may fix; GatewayAuthError (TokenLimitReached
    at the cap on live tokens) when the gateway refuses.
    """
    origin = gateway_origin(base_url)
    timestamp, once = header_timestamp(wall_clock()), nonce()
    signature = token_signature(
        app_id=app_id, timestamp=timestamp, nonce=once, app_key=app_key.get_secret_value()
    )
    payload = {
        "appId": app_id,
        "timestamp": timestamp,
        "nonce": once,
        "signMethod": "SHA256",
        "signature": signature,
    }
    try:
        response = await http.post(
            base_url.rstrip("/") + TOKEN_PATH,
            content=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
            headers=JSON_HEADERS,
            timeout=request_timeout,
        )
    except httpx.TransportError as exc:
        reason = describe_transport_error(exc, origin=origin, timeout=request_timeout)
        raise Retryable(f"token request: {reason}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise Retryable(f"token request: HTTP {response.status_code} from the gateway at {origin}")
    return _issued(response)


def _issued(response: httpx.Response) -> IssuedToken:
    """The token in a token endpoint's reply, or the refusal it says."""
    data = json_object(response.content) or {}
    token, expires_in = data.get("accessToken"), data.get("expiresIn", 3600)
    if str(data.get("errCode")) == "0000" and isinstance(token, str) and token:
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return IssuedToken(value=token, expires_in=lifetime)
    info = text(data.get("errInfo"))
    code = str(data["errCode"]) if "errCode" in data else None
    if is_token_limit(info):
        raise TokenLimitReached(code=code, gateway_message=info, http_status=response.status_code)
    raise GatewayAuthError(
        code=code,
        message="token request refused" + (f": {info}" if info else ""),
        http_status=response.status_code,
        msg_id=None,
    )
