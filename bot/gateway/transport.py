"""The process's one HTTP client for the gateway."""

from __future__ import annotations

from typing import Any

import httpx
from httpx_aiohttp import HttpxAiohttpClient

from bot.version import version

# The installed version, so the provider's logs say which release asked ("(not installed)"
# becomes "unknown": a user agent's version has no spaces).
USER_AGENT = "qrinfo/" + (version() if " " not in version() else "unknown")


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
        return httpx.AsyncClient(transport=transport, **common)
    return HttpxAiohttpClient(limits=limits, mounts=mounts, **common)
