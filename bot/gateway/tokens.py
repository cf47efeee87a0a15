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
            self._inflight = asyncio.ensure_future(self._refresh())
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

    def invalidate(self, token: str) -> None:
        """Forget *token* after the gateway rejected it (only if it is still the cached one)."""
        if self._cached is not None and self._cached.value == token:
            self._cached = None

    async def _refresh(self) -> str:
        self.fetches += 1
        try:
            try:
                issued = await self._fetch()
            except GatewayAuthError:
                self.outcomes["refused"] += 1
                raise
            except Exception:  # (a cancelled request is not a failed one)
                self.outcomes["failed"] += 1
                raise
            self.outcomes["ok"] += 1
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
