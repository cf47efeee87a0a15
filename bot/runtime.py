"""Process-level wiring shared by the entry points: the one HTTP client for the gateway."""

from __future__ import annotations

import httpx

from bot.config import Settings
from bot.gateway.client import new_http_client
from bot.sandbox.transport import SandboxTransport


def new_gateway_http(settings: Settings) -> httpx.AsyncClient:
    """The process's HTTP client for gateway calls.

    With ``CHINAUMS_ENV=sandbox`` and no ``CHINAUMS_BASE_URL`` the sandbox runs
    inside the process: no port, no network.
    """
    if settings.uses_inprocess_sandbox:
        return new_http_client(transport=SandboxTransport())
    # One connection per lookup allowed in flight: the pool never queues them.
    return new_http_client(max_connections=settings.chinaums_max_in_flight)
