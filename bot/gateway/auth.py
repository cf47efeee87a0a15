"""The two Authorization schemes as ``httpx.Auth`` flows.

Each request is signed as it leaves, over ``request.content`` (or, around httpx, over the
bytes :mod:`bot.gateway.on_http1` sends, with ``BodySigAuth.header``): the bytes signed
are the bytes sent, and every attempt of a retried lookup gets a fresh timestamp and nonce
(the gateway rejects a replayed nonce).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Generator

import httpx
from pydantic import SecretStr

from bot.gateway.protocol import NonceFactory, WallClock
from bot.gateway.signing import body_sig_header, header_timestamp, token_header
from bot.gateway.tokens import TokenCache


class BodySigAuth(httpx.Auth):
    """OPEN-BODY-SIG: HMAC over appId, Beijing timestamp, nonce and the body's SHA-256."""

    requires_request_body = True

    def __init__(
        self, *, app_id: str, app_key: SecretStr, wall_clock: WallClock, nonce: NonceFactory
    ) -> None:
        self._app_id = app_id
        self._app_key = app_key
        self._wall_clock = wall_clock
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"BodySigAuth(app_id={self._app_id!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header(request.content)
        yield request

    def header(self, body: bytes) -> str:
        """The Authorization header for *body*, the exact bytes sent, signed now."""
        return body_sig_header(
            app_id=self._app_id,
            app_key=self._app_key.get_secret_value(),
            timestamp=header_timestamp(self._wall_clock()),
            nonce=self._nonce(),
            body=body,
        )


def is_token_rejected(response: httpx.Response) -> bool:
    """Did the gateway refuse the access token? (The provider does not document the exact reply.)

    Gateway-level failures come as HTTP 401/412 or a numeric errCode; a stale
    or unknown token is the likely cause of any of them in token mode, and one
    refresh-and-retry is cheap and bounded.
    """
    if response.status_code in (401, 412):
        return True
    if response.status_code >= 500:
        return False
    try:
        data = json.loads(response.content)
    except ValueError:
        return False
    code = data.get("errCode") if isinstance(data, dict) else None
    return isinstance(code, int | str) and str(code).isdigit() and str(code) != "0000"


# A request extension: a refusal does not refresh the token (a name, not a password).
KEEP_TOKEN = "qrinfo_keep_token"  # noqa: S105


class AccessTokenAuth(httpx.Auth):
    """OPEN-ACCESS-TOKEN: a cached token; on rejection, refresh once and retry once."""

    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache

    def __repr__(self) -> str:
        return f"AccessTokenAuth({self.cache!r})"

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.cache.get()
        request.headers["Authorization"] = token_header(token)
        response = yield request
        # This override replaces httpx's wrapper that would read the body for us.
        await response.aread()
        if is_token_rejected(response) and not request.extensions.get(KEEP_TOKEN):
            await self.cache.invalidate(token)
            token = await self.cache.get()
            request.headers["Authorization"] = token_header(token)
            yield request
