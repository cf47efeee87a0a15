"""`qrinfo serve` as a real process: SIGTERM in the middle of a burst loses no reply."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app
from bot.slack.simulate import signed_headers, slash_command_body
from bot.slack.sink import ResponseSink
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi, serve_fake_slack

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
