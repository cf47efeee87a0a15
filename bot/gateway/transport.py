"""The process's one HTTP client for the gateway."""

from __future__ import annotations

import math
import sys
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from bot.http1 import Http1Pool
from bot.version import version

# The installed version, so the provider's logs say which release asked ("(not installed)"
# becomes "unknown": a user agent's version has no spaces).
USER_AGENT = "qrinfo/" + (version() if " " not in version() else "unknown")

_SPENT = httpx.ByteStream(b"")  # what a response read whole streams from then on: nothing


class _FreedAtOnce(httpx.AsyncClient):
    """An httpx client whose responses, once read whole, refcounting frees.

    httpx binds each response to its own stream (``response.stream._response``): a
    reference cycle, which only the cyclic collector frees. serve raises its first
    threshold for bursts (bot/wiring/serving.py), so a burst's responses (and the
    aiohttp responses inside them) waited for a collection: about 540 of 1,000 were still
    garbage after the benchmark's burst. A response read whole has nothing left to
    stream (its body is in ``content``), so the stream is let go.
    """

    async def send(self, request: httpx.Request, **options: Any) -> httpx.Response:
        response = await super().send(request, **options)
        if response.is_closed:  # read whole (not a stream=True response still open)
            response.stream = _SPENT
        return response


class HttpxOnAiohttp(_FreedAtOnce, HttpxAiohttpClient):
    """The process's client in production: httpx on aiohttp, its responses freed at once,
    and :attr:`connections` of its own for the calls that go around httpx
    (bot/gateway/on_http1.py), closed with it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # As httpx-aiohttp's transport sets up its session: its limit, keep-alive and TLS
        # (httpx's: certifi's roots, SSL_CERT_FILE and the like).
        transport = self._transport
        assert isinstance(transport, AiohttpTransport)  # noqa: S101  # HttpxAiohttpClient's
        expiry, limit = transport.limits.keepalive_expiry, transport.limits.max_connections
        self.connections = Http1Pool(
            limit=sys.maxsize if limit is None else limit,  # None: httpx's "no limit"
            keepalive=math.inf if expiry is None else expiry,
            tls=transport.ssl_context,
        )

    async def aclose(self) -> None:
        await self.connections.aclose()
        await super().aclose()


def new_http_client(
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    max_connections: int = 100,
    mounts: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> httpx.AsyncClient:
    """The process's one HTTP client.

    In production it rides on aiohttp (httpx-aiohttp): with httpx's default
    transport, 50 concurrent requests on a 2-core machine ran about ten times
    slower. Tests pass a *transport* (or use respx, which intercepts either). *mounts* send
    some URLs elsewhere (httpx's URL patterns): the in-process sandbox beside real gateways.
    """
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    common: dict[str, Any] = {"headers": {"User-Agent": USER_AGENT}, "follow_redirects": False}
    if transport is not None:
        return _FreedAtOnce(transport=transport, **common)
    return HttpxOnAiohttp(limits=limits, mounts=mounts, **common)
