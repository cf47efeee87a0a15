"""`qrinfo serve` as a real process: SIGTERM in the middle of a burst loses no reply."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app
from bot.slack.simulate import signed_headers, slash_command_body
from bot.slack.sink import ResponseSink
from tests.slack.fakes import APP_TOKEN, BOT_TOKEN, FakeSlackApi, serve_fake_slack

SECRET = "serve-process-signing-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def slow_sandbox_url() -> AsyncIterator[str]:
    server = TestServer(
        create_web_app(SandboxGateway(faults=FaultConfig(latency_ms=600))), host="127.0.0.1", port=0
    )
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async for fake in serve_fake_slack():
        yield fake


async def test_sigterm_drains_the_lookups_in_flight_then_exits(
    slow_sandbox_url: str, slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """Twenty commands acked, SIGTERM at once: all twenty replies arrive and the process exits 0."""
    port = free_port()
    env = os.environ | {
        "CHINAUMS_ENV": "sandbox",
        "CHINAUMS_BASE_URL": slow_sandbox_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api.url,
        "QRINFO_AUDIT_LOG": f"{tmp_path}/audit.jsonl",
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", str(port),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            while True:
                try:
                    async with session.get(base + "/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "serve never became healthy"
                await asyncio.sleep(0.1)

            async def send(i: int) -> int:
                body = slash_command_body(
                    f"898340149000005 BNCH{i:022d}", response_url=sink.url(f"/r/{i}")
                )
                headers = signed_headers(body, SECRET)
                async with session.post(base + "/slack/events", data=body, headers=headers) as r:
                    return r.status

            assert await asyncio.gather(*(send(i) for i in range(20))) == [200] * 20
            child.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(child.wait(), 20) == 0
            assert sink.count == 20
            paths = {(await sink.next(1)).path for _ in range(20)}
            assert len(paths) == 20
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


async def test_socket_mode_answers_a_command_and_shuts_down_cleanly(
    slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """With SLACK_APP_TOKEN set: connect, ack the envelope, reply to the response_url, exit 0."""
    port = free_port()
    env = os.environ | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack_api.url,
        "QRINFO_AUDIT_LOG": f"{tmp_path}/audit.jsonl",
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:
            await asyncio.wait_for(slack_api.socket_open.wait(), 20)
            assert slack_api.socket is not None
            # Socket Mode delivers the command's fields as a JSON object, not a form body.
            payload = dict(parse_qsl(slash_command_body("help", response_url=sink.url())))
            await slack_api.socket.send_json(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            ack = await asyncio.wait_for(slack_api.from_bot.get(), 10)
            assert ack["envelope_id"] == "env-1"
            card = await sink.next(10)
            assert "/qrinfo 898340149000005" in card.payload["text"]
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                health = await response.json()
            assert health["mode"] == "socket"
            assert health["socket_connected"] is True
            child.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(child.wait(), 20) == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
