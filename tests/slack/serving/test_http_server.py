"""The HTTP server's stop, and what its probes say."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bot.slack.serving.http_server import HttpServer, add_ops_routes, not_ready_because


async def test_a_request_taken_before_the_stop_is_answered_before_the_drain_begins() -> None:
    """A request still being handled when the stop begins (read, not yet acked, its lookup not
    yet tracked) is let finish first; only then does the drain look at what is in flight."""
    events: list[str] = []
    taken, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        events.append("request taken")
        taken.set()
        await release.wait()
        events.append("request answered")
        return web.Response(text="ok")

    async def drain() -> None:
        events.append("drain")

    async def health() -> dict[str, object]:
        return {"ok": True, "draining": server.draining}

    app = web.Application()
    app.router.add_post("/slack/events", slow)
    add_ops_routes(app, health, lambda accept: (b"", "text/plain"))
    server = HttpServer(app, "127.0.0.1", 0)
    url = await server.start()
    async with aiohttp.ClientSession() as session:
        answer = asyncio.ensure_future(session.post(url + "/slack/events", data=b"x"))
        await taken.wait()
        stopping = asyncio.ensure_future(server.stop(drain))
        async with session.get(url + "/readyz") as ready:  # the port is open while it stops
            assert ready.status == 503
        assert events == ["request taken"]
        release.set()
        response = await answer
        assert response.status == 200
        await stopping
    assert events == ["request taken", "request answered", "drain"]


@pytest.mark.parametrize(
    ("report", "why"),
    [
        ({"ok": True, "draining": False}, None),
        ({"ok": True, "draining": False, "socket_connected": True}, None),
        ({"ok": True, "draining": True}, "draining: stopping after the lookups in flight"),
        (
            {"ok": True, "draining": False, "socket_connected": False},
            "no Socket Mode connection: Slack cannot deliver anything to this replica",
        ),
        ({"ok": True, "draining": False, "audit": {"ok": False}}, None),
        ({"ok": True, "draining": False, "gateway_circuit": "open"}, None),
    ],
    ids=["http", "socket", "draining", "socket-down", "audit-failing", "circuit-open"],
)
def test_ready_unless_draining_or_without_a_socket(
    report: dict[str, object], why: str | None
) -> None:
    """Readiness asks "should this replica get work": not while it drains or has no socket.
    A failing audit trail or an open circuit would fail every replica alike: still ready."""
    assert not_ready_because(report) == why
