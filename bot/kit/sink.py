"""A local server standing in for Slack's response_url: records what the app posts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.network import http_url


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST the app made to a response_url."""

    path: str
    payload: dict[str, Any]
    received_at: float = 0.0  # time.perf_counter() when it arrived


Refuses = Callable[[dict[str, Any]], bool]


class ResponseSink:
    """Listens on 127.0.0.1 (a free port); every POST is queued and answered 200 ``ok``.

    ``status`` (or ``refuse``, per payload) makes it answer like Slack refusing,
    e.g. 404 ``expired_url`` for a response_url used up or too old.
    """

    def __init__(self, *, status: int = 200, refuse: Refuses | None = None) -> None:
        self.status = status
        self.refuse = refuse
        self.deliveries: asyncio.Queue[Delivery] = asyncio.Queue()
        self.count = 0
        self._runner: web.AppRunner | None = None
        self._base = ""

    async def __aenter__(self) -> ResponseSink:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base = http_url(host, port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str = "/response/1") -> str:
        return self._base + path

    async def next(self, wait: float) -> Delivery:
        """The next delivery within *wait* seconds; TimeoutError when none comes."""
        return await asyncio.wait_for(self.deliveries.get(), wait)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"_raw": body.decode("utf-8", "replace")}
        self.count += 1
        self.deliveries.put_nowait(
            Delivery(path=request.path, payload=payload, received_at=time.perf_counter())
        )
        if self.status != 200 or (self.refuse is not None and self.refuse(payload)):
            return web.Response(
                status=404 if self.status == 200 else self.status, text="expired_url"
            )
        return web.Response(text="ok")
