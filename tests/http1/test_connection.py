"""One connection's reading of an answer: every framing, and every way it can end badly,
as aiohttp's client ends it."""

from __future__ import annotations

import asyncio
import socket
import struct

import aiohttp
import pytest

from bot.http1 import Http1, Limits
from tests.http1.helpers import OK, Server, get, read_request, serving

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"


def once(answer: bytes, *, then_close: bool = True, reset: bool = False) -> Server:
    """Answers the first request with *answer*, then hangs up (or resets)."""

    class Once(Server):
        async def __call__(
            self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            self.connections += 1
            self.requests.append(await read_request(reader))
            writer.write(answer)
            await writer.drain()
            if reset:
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            elif then_close:
                writer.close()
            else:
                await reader.read()

    return Once()


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (CHUNKED, b"hello"),
        (b"HTTP/1.1 200 OK\r\n\r\nuntil the end", b"until the end"),
        (b"HTTP/1.0 200 OK\r\n\r\nold", b"old"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
    ],
    ids=["chunked", "until-close", "http-1.0", "no-content"],
)
async def test_every_framing_gives_the_whole_body(answer: bytes, body: bytes) -> None:
    async with serving(once(answer)) as url:
        got = await Http1().exchange(url, get(url), Limits(read=2))
    assert got.body == body


@pytest.mark.parametrize(
    ("server", "raised", "words"),
    [
        (once(b""), aiohttp.ServerDisconnectedError, "Server disconnected"),
        (once(b"", reset=True), aiohttp.ClientOSError, "Connection reset by peer"),
        (
            once(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"),
            aiohttp.ClientPayloadError,
            "Response payload is not completed: <ContentLengthError",
        ),
        (
            once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe"),
            aiohttp.ClientPayloadError,
            "Response payload is not completed: <TransferEncodingError",
        ),
        (once(b"SSH-2.0-OpenSSH\r\n\r\n"), aiohttp.ClientResponseError, ""),
    ],
    ids=["closed", "reset", "cut-short", "chunks-cut-short", "not-http"],
)
async def test_an_answer_that_ends_badly_fails_as_aiohttp_fails_it(
    server: Server, raised: type[Exception], words: str
) -> None:
    http = Http1(limit=1)
    async with serving(server) as url:
        with pytest.raises(raised) as err:
            await http.exchange(url, get(url), Limits(read=2))
        assert words in str(err.value)
    assert http._open == 0  # its slot is free again


@pytest.mark.parametrize(
    "extra",
    [OK, b"garbage"],
    ids=["a-second-answer", "bytes-after-the-answer"],
)
async def test_a_connection_that_says_more_than_it_was_asked_is_not_used_again(
    extra: bytes,
) -> None:
    server = Server([OK + extra])
    http = Http1()
    async with serving(server) as url:
        first = await http.exchange(url, get(url), Limits())
        second = await http.exchange(url, get(url), Limits(read=2))
    await http.aclose()
    assert (first.body, second.body) == (b"ok", b"ok")
    assert server.connections == 2


async def test_bytes_that_arrive_while_idle_close_the_connection() -> None:
    async def talks_later(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await asyncio.sleep(0.05)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nodd")
        await reader.read()

    served: list[int] = []

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.append(1)
        if len(served) == 1:
            await talks_later(reader, writer)
        else:
            await Server()(reader, writer)

    http = Http1()
    async with serving(counting) as url:
        await http.exchange(url, get(url), Limits())
        await asyncio.sleep(0.1)
        second = await http.exchange(url, get(url), Limits(read=2))
    await http.aclose()
    assert second.body == b"ok"
    assert len(served) == 2


@pytest.mark.parametrize(
    ("answer", "raised", "words"),
    [
        (
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * 9000 + b"\r\nContent-Length: 0\r\n\r\n",
            aiohttp.ClientResponseError,
            "Got more than 8190 bytes when reading Header",
        ),
        (
            b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 129 + b"Content-Length: 0\r\n\r\n",
            aiohttp.ClientResponseError,
            "Too many headers received",
        ),
        (
            b"HTTP/1.1 200 " + b"k" * 9000 + b"\r\nContent-Length: 0\r\n\r\n",
            aiohttp.ClientResponseError,
            "Got more than 8190 bytes when reading Status line",
        ),
        (
            b"HTTP/1.1 200 OK\r\n\r\n" + b"z" * (8 * 1024 * 1024 + 1),
            aiohttp.ClientPayloadError,
            "Response payload is over 8388608 bytes",
        ),
    ],
    ids=["a-long-header", "too-many-headers", "a-long-status-line", "an-endless-body"],
)
async def test_an_answer_past_its_limits_is_refused_and_its_connection_closed(
    answer: bytes, raised: type[Exception], words: str
) -> None:
    http = Http1(limit=1)
    async with serving(once(answer, then_close=False)) as url:
        with pytest.raises(raised, match=words):
            await http.exchange(url, get(url), Limits(read=2))
    assert http._open == 0  # its slot is free again
