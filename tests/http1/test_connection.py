"""One connection's reading of an answer: every framing, and every way it can end badly,
as aiohttp's client ends it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct

import aiohttp
import pytest

from bot.http1 import Http1Pool, Origin, Timeouts
from bot.http1.connection import Connection
from tests.http1.helpers import (
    OK,
    WAIT,
    Server,
    answering,
    both_ways,
    get,
    read_request,
    serving,
    until,
)

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
        got = await Http1Pool().exchange(url, get(url), Timeouts(sock_read=2))
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
        (
            once(b"SSH-2.0-OpenSSH\r\n\r\n"),
            aiohttp.ClientResponseError,
            "Expected HTTP/, RTSP/ or ICE/",  # llhttp's words (aiohttp's say them too)
        ),
    ],
    ids=["closed", "reset", "cut-short", "chunks-cut-short", "not-http"],
)
async def test_an_answer_that_ends_badly_fails_as_aiohttp_fails_it(
    server: Server, raised: type[Exception], words: str
) -> None:
    http = Http1Pool(limit=1)
    async with serving(server) as url:
        with pytest.raises(raised) as err:
            await http.exchange(url, get(url), Timeouts(sock_read=2))
        assert words in str(err.value)
    assert http.open == 0  # its slot is free again


@pytest.mark.parametrize(
    "extra",
    [OK, b"garbage"],
    ids=["a-second-answer", "bytes-after-the-answer"],
)
async def test_a_connection_that_says_more_than_it_was_asked_is_not_used_again(
    extra: bytes,
) -> None:
    server = Server([OK + extra])
    http = Http1Pool()
    async with serving(server) as url:
        first = await http.exchange(url, get(url), Timeouts())
        second = await http.exchange(url, get(url), Timeouts(sock_read=2))
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

    http = Http1Pool()
    async with serving(counting) as url:
        await http.exchange(url, get(url), Timeouts())
        await until(lambda: http.open == 0)  # the odd bytes came, and it was closed
        second = await http.exchange(url, get(url), Timeouts(sock_read=2))
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
    http = Http1Pool(limit=1)
    async with serving(once(answer, then_close=False)) as url:
        with pytest.raises(raised, match=words):
            await http.exchange(url, get(url), Timeouts(sock_read=2))
    assert http.open == 0  # its slot is free again


@pytest.mark.parametrize(
    "informational",
    [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"],
    ids=["100", "103"],
)
async def test_an_informational_response_is_skipped_as_aiohttp_skips_it(
    informational: bytes,
) -> None:
    """A 1xx before the response is not the response: taking it would send a gateway call
    again, and leave the real response for the next request on the connection."""

    async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                path = (await read_request(reader)).split(b" ")[1]
            except asyncio.IncompleteReadError:
                return
            writer.write(informational)
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(path)}\r\n\r\n".encode() + path)

    http = Http1Pool()
    async with serving(late) as url:
        first = await http.exchange(url / "alice", get(url / "alice"), Timeouts(total=2))
        second = await http.exchange(url / "bob", get(url / "bob"), Timeouts(total=2))
        async with aiohttp.ClientSession() as session, session.get(url / "carol") as response:
            theirs = (response.status, await response.read())
    await http.aclose()
    assert theirs == (200, b"/carol")
    assert [(first.status, first.body), (second.status, second.body)] == [
        (200, b"/alice"),
        (200, b"/bob"),
    ]


async def test_a_chunked_bodys_trailers_are_not_headers() -> None:
    """As aiohttp drops them: a trailer cannot add a cookie or an encoding after the body."""
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
        b"\r\n\r\n2\r\n{}\r\n0\r\nContent-Encoding: gzip\r\nSet-Cookie: s=1\r\n\r\n"
    )
    http = Http1Pool()
    async with serving(Server([answer])) as url:
        got = await http.exchange(url, get(url), Timeouts(total=2))
    await http.aclose()
    assert [name for name, _ in got.raw_headers] == [b"Content-Type", b"Transfer-Encoding"]
    assert got.body == b"{}"


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",  # bare LF line endings
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2  \r\nok\r\n0\r\n\r\n",
    ],
    ids=["bare-lf", "spaces-after-chunk-size"],
)
async def test_a_sloppy_server_is_read_as_leniently_as_aiohttp_reads_it(answer: bytes) -> None:
    http = Http1Pool()
    async with serving(Server([answer])) as url:
        ours = await http.exchange(url, get(url), Timeouts(total=2))
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            theirs = (response.status, await response.read())
    await http.aclose()
    assert (ours.status, ours.body) == theirs == (200, b"ok")


async def test_a_head_that_never_ends_is_refused_before_it_fills_memory() -> None:
    """httptools holds a header until it has it whole; the head as a whole is bounded."""

    async def endless_header(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nX-Big: ")
        with contextlib.suppress(ConnectionError):
            for _ in range(100):
                writer.write(b"x" * 65536)
                await writer.drain()
        await reader.read()

    http = Http1Pool(limit=1)
    async with serving(endless_header) as url:
        with pytest.raises(aiohttp.ClientResponseError, match="bytes of head and framing"):
            await http.exchange(url, get(url), Timeouts(sock_read=2))
    assert http.open == 0


async def test_a_switch_of_protocols_is_the_response_as_aiohttp_gives_it() -> None:
    """A 101 is returned, not raised (nothing here asks for one), and its connection is not
    used again: what follows is not HTTP."""
    answer = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    )
    server = once(answer, then_close=False)
    http = Http1Pool()
    async with serving(server) as url:
        ours = await http.exchange(url, get(url), Timeouts(sock_read=2))
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            theirs = response.status
    await http.aclose()
    assert ours.status == theirs == 101
    assert http.open == 0


async def test_a_connection_lost_before_its_request_is_written_fails_at_once() -> None:
    """No wait for a timer (there may be none) when the connection is already closing."""

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    http = Http1Pool()
    async with serving(close_at_once) as url:
        with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
            await asyncio.wait_for(http.exchange(url, get(url), Timeouts()), WAIT)


class _ClosingTransport(asyncio.Transport):
    """A transport already closing (its peer's FIN not yet read as such): takes no bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def is_closing(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


async def test_a_request_on_a_closing_connection_fails_without_a_byte_sent() -> None:
    """A connection closing between being taken and being written to fails at once: no
    timer may be set to end it (Timeouts() has none)."""
    transport = _ClosingTransport()
    connection = Connection(Origin(tls=False, host="h", port=1), lambda: None)
    connection.connection_made(transport)
    sent = connection.send(b"GET / HTTP/1.1\r\n\r\n", None, None)
    assert sent.done()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        sent.result()
    assert transport.written == []


TRAILERS = b"".join(b"T%d: v\r\n" % i for i in range(200))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (  # a trailer counts as a header: 128 at most
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
            + TRAILERS
            + b"\r\n",
            aiohttp.ClientResponseError,
        ),
        (
            b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 2\r\n\r\nok",
            aiohttp.ClientResponseError,
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", (200, b"abc")),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nabc", (200, b"abc")),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc", (200, b"abc")),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", (101, b"")),
    ],
    ids=["200-trailers", "nul-in-a-value", "te-gzip", "te-identity", "te-chunked-gzip", "101"],
)
async def test_a_response_ends_as_aiohttps_client_ends_it(answer: bytes, expected: object) -> None:
    theirs, ours = await both_ways(answering(answer))
    assert theirs == expected
    assert ours == theirs


async def test_a_heads_limit_does_not_depend_on_how_its_bytes_were_cut() -> None:
    """An 80 KB head (20 headers of 4 KB, within aiohttp's limits) in one read or in 1 KB
    pieces: taken either way, as aiohttp takes it."""
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"H%d: %s\r\n" % (i, b"v" * 4000) for i in range(20))
    response = head + b"Content-Length: 2\r\n\r\nok"
    pieces = [response[i : i + 1000] for i in range(0, len(response), 1000)]
    for cut in ([response], pieces):
        theirs, ours = await both_ways(answering(*cut, pause=0.001))
        assert ours == theirs == (200, b"ok")


async def test_trailers_that_never_end_are_refused_before_they_fill_memory() -> None:
    """No total limit (the gateway's call has none) and bytes that keep coming: refused at
    the limit on what is not body, not read for as long as the server likes."""
    sent = 0

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: ")
        with contextlib.suppress(ConnectionError):
            while sent < 16 * 1024 * 1024:  # one field that never ends: httptools holds it
                writer.write(b"v" * 65536)
                sent += 65536
                await writer.drain()
        writer.close()

    async with serving(endless) as url:
        with pytest.raises(aiohttp.ClientResponseError, match="bytes of head and framing"):
            await Http1Pool().exchange(url, get(url), Timeouts(sock_read=2))
    assert sent < 16 * 1024 * 1024
