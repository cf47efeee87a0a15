"""A fake of Slack's Web API on loopback: records calls, answers like Slack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_TOKEN = "xoxb-test-token-0000"
APP_TOKEN = "xapp-test-token-0000"


@dataclass
class FakeSlackApi:
    """auth.test, views.open, chat.postMessage, chat.postEphemeral, conversations.open and a
    file upload's three steps (its upload URL served here too); every call kept."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    token_ok: bool = True
    errors: dict[str, str] = field(default_factory=dict)  # method -> error to answer
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # group id -> user ids
    connections_failures: int = 0  # apps.connections.open answers an HTML 503 this many times
    dead_urls: int = 0  # ... then hands out a websocket URL nobody listens on, this many times
    urlless: int = 0  # ... then answers ok without a url, this many times
    app_token_revoked: bool = False
    close_at_once: bool = False  # the websocket says hello and closes
    silent: set[str] = field(default_factory=set)  # methods that never answer (until closed)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    locales: dict[str, str] = field(default_factory=dict)  # user id -> Slack locale (en-US)
    url: str = ""
    # Socket Mode: the bot's websocket, and what it sent us (acks, by envelope).
    socket: web.WebSocketResponse | None = None
    socket_open: asyncio.Event = field(default_factory=asyncio.Event)
    from_bot: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    called: asyncio.Condition = field(default_factory=asyncio.Condition)
    # Files: the DM conversations.open gives, and the bytes posted to each upload URL.
    dm_channel: str = "D0QRINFODM1"
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> what was uploaded
    upload_status: int = 200  # what the upload URL answers
    bare_ok: set[str] = field(default_factory=set)  # methods answering {"ok": true} and no more
    # Workflow steps: the tokens Slack sent with each run (taken like the bot's), and the
    # token every call came with, by method (functions.completeSuccess must use the run's).
    run_tokens: set[str] = field(default_factory=set)
    tokens: list[tuple[str, str]] = field(default_factory=list)

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1})
        if self.close_at_once:
            await ws.close()
            return ws
        self.socket_open.set()
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.from_bot.put_nowait(json.loads(message.data))
        return ws

    def of(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    async def wait_for(
        self, method: str, count: int = 1, wait: float = 5.0
    ) -> list[dict[str, Any]]:
        """The calls of *method* once there are *count* of them (TimeoutError after *wait* s)."""
        async with self.called:
            await asyncio.wait_for(
                self.called.wait_for(lambda: len(self.of(method)) >= count), wait
            )
        return self.of(method)

    def connections_open(self, request: web.Request) -> web.Response:
        """apps.connections.open, with the faults this fake was told to show first."""
        if self.connections_failures > 0:
            self.connections_failures -= 1
            return web.Response(status=503, text="<html>down</html>", content_type="text/html")
        if self.app_token_revoked:
            return web.json_response({"ok": False, "error": "token_revoked"})
        if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.urlless > 0:
            self.urlless -= 1
            return web.json_response({"ok": True})
        if self.dead_urls > 0:
            self.dead_urls -= 1
            return web.json_response(
                {"ok": True, "url": "ws://127.0.0.1:9/link?ticket=ONE-TIME-TICKET&app_id=A1"}
            )
        ws_url = self.url.replace("http://", "ws://").replace("/api/", "/link")
        return web.json_response({"ok": True, "url": ws_url})

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        self.calls.append((method, args))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.tokens.append((method, token))
        async with self.called:
            self.called.notify_all()
        if method in self.silent:
            await self.closing.wait()  # no answer before the fake closes
            return web.Response(status=503)
        if method == "apps.connections.open":
            return self.connections_open(request)
        if not self.token_ok or token not in {BOT_TOKEN, *self.run_tokens}:
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
        if method == "users.info":
            user = args.get("user", "")
            locale = self.locales.get(user, "en-US")
            included = str(args.get("include_locale")).lower() in {"true", "1"}
            return web.json_response(
                {"ok": True, "user": {"id": user} | ({"locale": locale} if included else {})}
            )
        if method == "views.open":
            return web.json_response({"ok": True, "view": {"id": "V0001"}})
        if method == "conversations.open" or method.startswith("files."):
            return self.dm_file(method, args)
        return web.json_response({"ok": True, "channel": args.get("channel"), "ts": "1.0"})

    def dm_file(self, method: str, args: dict[str, Any]) -> web.Response:
        """conversations.open (the DM), and files_upload_v2's first and last steps."""
        if method in self.bare_ok:
            return web.json_response({"ok": True})
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": self.dm_channel}})
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.of(method)):09d}"
            upload_url = self.url.replace("/api/", f"/upload/{file_id}")
            return web.json_response({"ok": True, "upload_url": upload_url, "file_id": file_id})
        files = json.loads(args.get("files", "[]"))  # files.completeUploadExternal
        return web.json_response({"ok": True, "files": [{"id": f["id"]} for f in files]})

    async def upload(self, request: web.Request) -> web.Response:
        """An upload URL files.getUploadURLExternal handed out: keeps the bytes posted to it."""
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        self.calls.append(("upload", {"file_id": file_id}))
        async with self.called:
            self.called.notify_all()
        if self.upload_status != 200:
            return web.Response(status=self.upload_status, text="upload failed")
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")


async def _arguments(request: web.Request) -> dict[str, Any]:
    """A call's arguments: the body's (form or JSON), and the URL's (slack_sdk sends some
    methods' params there, files.getUploadURLExternal's and conversations.open's among them)."""
    raw = await request.text()
    if request.method == "GET":
        body: dict[str, Any] = {}
    elif request.content_type == "application/json":
        body = json.loads(raw or "{}")
    else:
        body = dict(parse_qsl(raw))
    return dict(request.query) | body


async def serve_fake_slack() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.handle)
    app.router.add_get("/link", fake.websocket)
    app.router.add_post("/upload/{file_id}", fake.upload)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("/api/"))
    yield fake
    fake.closing.set()
    await server.close()
