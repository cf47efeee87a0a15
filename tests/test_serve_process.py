"""`qrinfo serve` as a real process: SIGTERM in the middle of a burst loses no reply."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.kit.simulate import signed_headers, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app
from tests.slack.fakes import APP_TOKEN, BOT_TOKEN, FakeSlackApi, serve_fake_slack

SECRET = "serve-process-signing-secret"


HEALTH_URL = re.compile(r"health on (http://\S+)/healthz")


class Serve:
    """`qrinfo serve` in a child process, on a port it chose itself (--port 0)."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child
        self.stderr: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> Serve:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "0", *args,
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(child)

    async def line(self) -> str:
        """The next line the child logs (TimeoutError if none comes: a bound, not a measurement)."""
        assert self.child.stderr is not None
        line = (await asyncio.wait_for(self.child.stderr.readline(), 20)).decode().rstrip("\n")
        if not line:
            raise EOFError("serve exited: " + " | ".join(self.stderr))
        self.stderr.append(line)
        return line

    async def health_url(self) -> str:
        """The /healthz base the child logs once it listens."""
        while True:
            match = HEALTH_URL.search(await self.line())
            if match:
                return match.group(1)

    async def exit_code(self) -> int:
        """Wait for the child to end, keeping what it logged."""
        assert self.child.stderr is not None
        rest = await asyncio.wait_for(self.child.stderr.read(), 20)
        self.stderr += rest.decode().splitlines()
        return await asyncio.wait_for(self.child.wait(), 20)

    def kill(self) -> None:
        if self.child.returncode is None:
            self.child.kill()


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


def serve_env(slack_api: FakeSlackApi, tmp_path: object, **more: str) -> dict[str, str]:
    return os.environ | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack_api.url,
        "QRINFO_AUDIT_LOG": f"{tmp_path}/audit.jsonl",
        **more,
    }


async def test_sigterm_drains_the_lookups_in_flight_then_exits(
    slow_sandbox_url: str, slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """Twenty commands acked, SIGTERM at once: all twenty replies arrive and the process exits 0."""
    env = serve_env(
        slack_api,
        tmp_path,
        CHINAUMS_ENV="sandbox",
        CHINAUMS_BASE_URL=slow_sandbox_url,
        SLACK_SIGNING_SECRET=SECRET,
    )
    serve = await Serve.start(env, "--http")
    try:
        base = await serve.health_url()
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:

            async def send(i: int) -> int:
                body = slash_command_body(
                    f"898340149000005 BNCH{i:022d}", response_url=sink.url(f"/r/{i}")
                )
                headers = signed_headers(body, SECRET)
                async with session.post(base + "/slack/events", data=body, headers=headers) as r:
                    return r.status

            assert await asyncio.gather(*(send(i) for i in range(20))) == [200] * 20
            serve.child.send_signal(signal.SIGTERM)
            assert await serve.exit_code() == 0
            assert sink.count == 20
            paths = {(await sink.next(1)).path for _ in range(20)}
            assert len(paths) == 20
    finally:
        serve.kill()


async def test_socket_mode_answers_a_command_and_shuts_down_cleanly(
    slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """With SLACK_APP_TOKEN set: connect, ack the envelope, reply to the response_url, exit 0."""
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_APP_TOKEN=APP_TOKEN))
    try:
        base = await serve.health_url()
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
            async with session.get(base + "/healthz") as response:
                health = await response.json()
            assert health["mode"] == "socket"
            assert health["socket_connected"] is True
            serve.child.send_signal(signal.SIGTERM)
            assert await serve.exit_code() == 0
            assert [line for line in serve.stderr if "ERROR" in line or "Traceback" in line] == []
    finally:
        serve.kill()


async def test_socket_mode_with_a_refused_app_token_exits_4_with_one_line(
    slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """apps.connections.open says invalid_auth: one line naming SLACK_APP_TOKEN, exit 4."""
    env = serve_env(slack_api, tmp_path, SLACK_APP_TOKEN="xapp-revoked-0000")
    serve = await Serve.start(env)
    try:
        assert await serve.exit_code() == 4
        assert (
            serve.stderr[-1]
            == "configuration error: SLACK_APP_TOKEN: Slack refused it (invalid_auth)"
        )
        assert not [line for line in serve.stderr if "Traceback" in line or "ERROR" in line]
        assert len(slack_api.of("apps.connections.open")) == 1
    finally:
        serve.kill()


async def test_sigterm_while_socket_mode_keeps_failing_to_connect_ends_the_process(
    slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """Slack's connection endpoint keeps failing: the retries never block a SIGTERM."""
    slack_api.connections_failures = 1_000
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_APP_TOKEN=APP_TOKEN))
    try:
        await serve.health_url()
        await slack_api.wait_for("apps.connections.open", wait=20)
        assert "cannot open a Socket Mode connection" in await serve.line()
        serve.child.send_signal(signal.SIGTERM)
        assert await serve.exit_code() == 0
        assert not [line for line in serve.stderr if "Traceback" in line]
    finally:
        serve.kill()


async def test_sigterm_while_auth_test_waits_ends_the_process_in_one_line(
    slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """Slack never answers auth.test: a SIGTERM then exits 0 with one line, not a kill."""
    slack_api.silent.add("auth.test")
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET))
    try:
        await slack_api.wait_for("auth.test", wait=20)
        serve.child.send_signal(signal.SIGTERM)
        assert "stopped before start" in await serve.line()
        assert await serve.exit_code() == 0
        assert serve.stderr == [serve.stderr[0]]  # that line, nothing else
    finally:
        serve.kill()


async def test_a_second_sigterm_stops_at_once_whatever_is_in_flight(
    slack_api: FakeSlackApi, tmp_path: object
) -> None:
    """A lookup that would run a minute: the first SIGTERM drains, the second ends the process."""
    env = serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET, CHINAUMS_TIMEOUT="60")
    serve = await Serve.start(env, "--http")
    try:
        base = await serve.health_url()
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:
            body = slash_command_body(
                "898340149000005 HANG0000000000000000000001", response_url=sink.url()
            )
            headers = signed_headers(body, SECRET)
            async with session.post(base + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 200
            serve.child.send_signal(signal.SIGTERM)
            assert "stopping" in await serve.line()
            serve.child.send_signal(signal.SIGTERM)
            # exit_code() waits at most 20 s: the drain alone would take the lookup's 60.
            assert await serve.exit_code() == 0
            assert any("1 lookups still running at exit" in line for line in serve.stderr)
    finally:
        serve.kill()
