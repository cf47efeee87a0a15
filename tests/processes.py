"""Test helpers for the programs the tests start as processes: `qrinfo serve` on a port it
picks, signed commands sent to it, its probes read, a sandbox gateway on loopback."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.kit.simulate import signed_headers, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi

SECRET = "serve-process-signing-secret"
ROOT = Path(__file__).resolve().parent.parent
# The ways people start it: `python -m bot`, and the installed entry point.
MODULE = (sys.executable, "-m", "bot")
INSTALLED = (str(Path(sys.executable).parent / "qrinfo"),)
HANGS = "HANG0000000000000000000001"  # the sandbox never answers this code
_HEALTH_URL = re.compile(r"health on (http://\S+)/healthz")


class Serve:
    """`qrinfo serve` in a child process, on a port it chose itself (--port 0)."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child
        self.stderr: list[str] = []

    @classmethod
    async def start(
        cls,
        env: dict[str, str],
        *args: str,
        command: Sequence[str] = MODULE,
        verbose: bool = False,
    ) -> Serve:
        """Started in a session (and process group) of its own, as a supervisor starts it; no
        terminal on stdin, as under one."""
        child = await asyncio.create_subprocess_exec(
            *command, *(["-v"] if verbose else []), "serve",
            "--host", "127.0.0.1", "--port", "0", *args,
            env=env, cwd=ROOT, start_new_session=True, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(child)

    def signal_group(self, signum: int) -> None:
        """*signum* to the whole process group: systemd's KillMode=control-group, tini -g,
        `kill -- -PGID`."""
        os.killpg(self.child.pid, signum)

    async def line(self) -> str:
        """The next line the child logs (TimeoutError if none comes: a bound, not a measurement)."""
        assert self.child.stderr is not None
        line = (await asyncio.wait_for(self.child.stderr.readline(), 20)).decode().rstrip("\n")
        if not line:
            raise EOFError("serve exited: " + " | ".join(self.stderr))
        self.stderr.append(line)
        return line

    async def base_url(self) -> str:
        """The base URL the child logs once it listens (the line naming its gateways, which
        follows, read too)."""
        while not (match := _HEALTH_URL.search(await self.line())):
            pass
        while "qrinfo asks" not in await self.line():
            pass
        return match.group(1)

    async def exit_code(self) -> int:
        """Wait for the child to end, keeping what it logged."""
        assert self.child.stderr is not None
        rest = await asyncio.wait_for(self.child.stderr.read(), 20)
        self.stderr += rest.decode().splitlines()
        return await asyncio.wait_for(self.child.wait(), 20)

    async def stops_cleanly(self) -> None:
        """SIGTERM; then it must exit 0 without a traceback."""
        self.child.send_signal(signal.SIGTERM)
        assert await self.exit_code() == 0, self.stderr
        assert not [line for line in self.stderr if "Traceback" in line]

    async def close(self) -> None:
        """Killed (its whole group) if still running, and waited for."""
        if self.child.returncode is None:
            os.killpg(self.child.pid, signal.SIGKILL)
        await self.child.wait()


def serve_env(slack_api: FakeSlackApi, tmp_path: Path, **more: str) -> dict[str, str]:
    """The environment of a `qrinfo serve` against *slack_api* and the in-process sandbox."""
    return os.environ | {
        "CHINAUMS_ENV": "sandbox",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack_api.url,
        "QRINFO_AUDIT_LOG": f"{tmp_path}/audit.jsonl",
        **more,
    }


async def post_command(
    session: aiohttp.ClientSession, base: str, text: str, response_url: str
) -> int:
    """One /qrinfo, signed as Slack signs it (with SECRET); the status of the ack."""
    body = slash_command_body(text, response_url=response_url)
    headers = signed_headers(body, SECRET)
    async with session.post(base + "/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def send_commands(base: str, sink: ResponseSink, count: int, *, hang: bool = False) -> None:
    """*count* signed /qrinfo commands, each for its own code (or the one that hangs) and
    response_url: all acked."""
    async with aiohttp.ClientSession() as session:
        acks = await asyncio.gather(
            *(
                post_command(
                    session,
                    base,
                    f"898340149000005 {HANGS if hang else f'BNCH{i:022d}'}",
                    sink.url(f"/r/{i}"),
                )
                for i in range(count)
            )
        )
    assert acks == [200] * count


async def get(url: str) -> tuple[int, dict[str, Any]]:
    """GET *url*: its status and JSON body."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 10.0) -> None:
    """Wait until *check* holds (what another process does in its own time): *within* is a
    bound, not a measurement."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(0.02)


def free_port() -> int:
    """A port free on loopback now, for a program that must be told one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def sandbox_on_loopback(gateway: SandboxGateway) -> AsyncIterator[str]:
    """*gateway* served over HTTP on a loopback port; its base URL."""
    server = TestServer(create_web_app(gateway), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
