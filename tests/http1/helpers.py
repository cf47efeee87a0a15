"""A loopback server that answers raw bytes and counts what it saw."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
from yarl import URL

from bot.http1 import Http1Pool, Timeouts, request_bytes

WAIT = 5.0  # a bound on a test that would otherwise hang, not a time it should take
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request's bytes: the head, then the body its Content-Length says."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    return head + await reader.readexactly(length)


@dataclass
class Server:
    """Answers each request on a connection with the next of *answers* (the last repeats)."""

    answers: list[bytes] = field(default_factory=lambda: [OK])
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                self.requests.append(await read_request(reader))
                answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[URL]:
    """*handler* on a fresh loopback port; its base URL."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield URL(f"{'https' if tls else 'http'}://127.0.0.1:{port}/")
    finally:
        server.close()
        await server.wait_closed()


def get(url: URL) -> bytes:
    return request_bytes(
        f"GET {url.raw_path_qs} HTTP/1.1", [("Host", url.host_port_subcomponent or "")]
    )


def answering(*pieces: bytes, pause: float = 0.0) -> Handler:
    """Reads one request, answers *pieces* one write each (*pause* s apart), hangs up."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        writer.close()

    return handler


async def both_ways(handler: Handler) -> tuple[object, object]:
    """What aiohttp's client and a pool make of *handler*'s response: the status and body
    (not decompressed), or the exception's class."""
    async with serving(handler) as url:
        try:
            async with (
                aiohttp.ClientSession(auto_decompress=False) as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response,
            ):
                theirs: object = (response.status, await response.read())
        except aiohttp.ClientError as exc:
            theirs = type(exc)
        pool = Http1Pool()
        try:
            raw = await pool.exchange(url, get(url), Timeouts(total=5))
            ours: object = (raw.status, raw.body)
        except aiohttp.ClientError as exc:
            ours = type(exc)
        await pool.aclose()
    return theirs, ours


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until *condition* holds (bounded: a test that would hang fails)."""
    for _ in range(5000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never came to pass")


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Takes the connection and says nothing until the client hangs up."""
    await reader.read()
