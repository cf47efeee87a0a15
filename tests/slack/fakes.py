"""A fake of Slack's Web API on loopback: records calls, answers like Slack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_TOKEN = "xoxb-test-token-0000"


@dataclass
class FakeSlackApi:
    """auth.test, views.open, chat.postMessage and chat.postEphemeral; every call kept."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    token_ok: bool = True
    errors: dict[str, str] = field(default_factory=dict)  # method -> error to answer
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # group id -> user ids
    url: str = ""

    def of(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.method == "GET":
            args: dict[str, Any] = dict(request.query)
        elif request.content_type == "application/json":
            args = json.loads(raw or "{}")
        else:
            args = dict(parse_qsl(raw))
        self.calls.append((method, args))
        if not self.token_ok or request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "url": "https://x.slack.com/",
                    "team": "X",
                    "user": "qrinfo",
                    "team_id": "T0QRINFO01",
                    "user_id": "U0BOT",
                    "bot_id": "B0BOT",
                }
            )
        if method == "usergroups.users.list":
            group = args.get("usergroup", "")
            if group not in self.usergroups:
                return web.json_response({"ok": False, "error": "no_such_subteam"})
            return web.json_response({"ok": True, "users": self.usergroups[group]})
        if method == "views.open":
            return web.json_response({"ok": True, "view": {"id": "V0001"}})
        return web.json_response({"ok": True, "channel": args.get("channel"), "ts": "1.0"})


async def serve_fake_slack() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("/api/"))
    yield fake
    await server.close()
