"""The sandbox inside the process, as an httpx transport: no port, no network."""

from __future__ import annotations

import httpx

from bot.sandbox.gateway import SandboxGateway


class SandboxTransport(httpx.AsyncBaseTransport):
    """Hands each request to a SandboxGateway and wraps its answer as an httpx.Response."""

    def __init__(self, gateway: SandboxGateway | None = None) -> None:
        self.gateway = gateway if gateway is not None else SandboxGateway()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        answer = await self.gateway.handle(
            request.method, request.url.path, dict(request.headers), body
        )
        return httpx.Response(
            answer.status,
            headers={"Content-Type": answer.content_type},
            content=answer.body,
            request=request,
        )
