"""The sandbox over HTTP (aiohttp): what ``qrinfo sandbox`` serves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from bot.network import http_url
from bot.sandbox.gateway import SandboxGateway

log = logging.getLogger(__name__)

GATEWAY_KEY = web.AppKey("gateway", SandboxGateway)


async def _forward(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY_KEY]
    body = await request.read()
    answer = await gateway.handle(request.method, request.path, dict(request.headers), body)
    return web.Response(
        status=answer.status, body=answer.body, headers={"Content-Type": answer.content_type}
    )


async def _health(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY_KEY]
    return web.json_response(
        {
            "ok": True,
            "queries": gateway.query_requests,
            "billQueries": gateway.bill_requests,
            "tokenRequests": gateway.token_requests,
            "inFlight": gateway.in_flight,
            "peakInFlight": gateway.peak_in_flight,
        }
    )


def create_web_app(gateway: SandboxGateway | None = None) -> web.Application:
    """An aiohttp application serving the gateway's endpoints (any path, as the real one)."""
    app = web.Application(client_max_size=64 * 1024)
    app[GATEWAY_KEY] = gateway if gateway is not None else SandboxGateway()
    app.router.add_get("/healthz", _health)
    app.router.add_route("*", "/{path:.*}", _forward)
    return app


async def serve_sandbox(
    gateway: SandboxGateway, *, host: str, port: int, announce: Callable[[str], None]
) -> None:
    """Serve until cancelled (Ctrl-C); *announce* gets the line that says where."""
    runner = web.AppRunner(create_web_app(gateway), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        # The address it took: the real port when 0 asked for any free one.
        host, port = runner.addresses[0][:2]
        announce(f"sandbox gateway listening on {http_url(host, port)}  ({gateway!r})")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
