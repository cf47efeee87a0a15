"""Kept-alive connections: one exchange after another on the same connection, a limit on
how many are open, and each failure as aiohttp's client raises it."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Iterator

import aiohttp
import pytest
import trustme
from yarl import URL

from bot.http1 import Http1, Limits, request_bytes
from tests.http1.helpers import OK, Server, get, read_request, serving


async def test_an_answer_comes_back_as_sent_and_the_connection_is_used_again() -> None:
    answer = b"HTTP/1.1 201 Made It\r\nX-One: a\r\nx-one: b\r\nContent-Length: 5\r\n\r\nhello"
    server = Server([answer])
    http = Http1()
    async with serving(server) as url:
        first = await http.exchange(url, get(url), Limits())
        second = await http.exchange(url / "again", get(url / "again"), Limits())
    await http.aclose()
    assert (first.status, first.reason, first.body) == (201, "Made It", b"hello")
    assert first.raw_headers == ((b"X-One", b"a"), (b"x-one", b"b"), (b"Content-Length", b"5"))
    assert first.headers().getall("x-one") == ["a", "b"]
    assert second.body == b"hello"
    assert server.connections == 1
    assert [r.split(b" ")[1] for r in server.requests] == [b"/", b"/again"]


async def test_no_more_connections_than_the_limit_are_open_at_once() -> None:
    server = Server()
    http = Http1(limit=2)
    async with serving(server) as url:
        answers = await asyncio.gather(*(http.exchange(url, get(url), Limits()) for _ in range(6)))
    await http.aclose()
    assert [a.body for a in answers] == [b"ok"] * 6
    assert (server.most_open, server.connections) == (2, 2)


async def test_past_the_limit_a_caller_waits_no_longer_than_its_connect_limit() -> None:
    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    http = Http1(limit=1)
    async with serving(never_answers) as url:
        hung = asyncio.ensure_future(http.exchange(url, get(url), Limits()))
        await asyncio.sleep(0.05)
        with pytest.raises(aiohttp.ConnectionTimeoutError, match="Connection timeout to host"):
            await http.exchange(url, get(url), Limits(connect=0.1))
        hung.cancel()
        await asyncio.gather(hung, return_exceptions=True)
    await http.aclose()


async def test_an_idle_connection_the_server_closed_is_not_used() -> None:
    async def one_answer_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        writer.close()

    http = Http1()
    async with serving(one_answer_then_close) as url:
        await http.exchange(url, get(url), Limits())
        await asyncio.sleep(0.05)  # the close arrives while idle
        second = await http.exchange(url, get(url), Limits())
    await http.aclose()
    assert second.body == b"ok"


@pytest.mark.parametrize(
    ("answer", "keepalive", "connections"),
    [
        (OK, 15.0, 1),
        (OK, 0.0, 2),  # idle longer than the keep-alive: closed, not used
        (OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length"), 15.0, 2),
    ],
    ids=["kept", "keep-alive-over", "connection-close"],
)
async def test_a_connection_is_used_again_only_while_it_may_be(
    answer: bytes, keepalive: float, connections: int
) -> None:
    server = Server([answer])
    http = Http1(keepalive=keepalive)
    async with serving(server) as url:
        for _ in range(2):
            assert (await http.exchange(url, get(url), Limits())).body == b"ok"
    await http.aclose()
    assert server.connections == connections


async def test_a_refused_connection_is_aiohttps_connector_error() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        url = URL(f"http://127.0.0.1:{held.getsockname()[1]}/")
        with pytest.raises(aiohttp.ClientConnectorError) as err:
            await Http1().exchange(url, get(url), Limits())
    assert err.value.os_error.errno == errno.ECONNREFUSED
    assert str(err.value).startswith(f"Cannot connect to host 127.0.0.1:{url.port} ssl:default")


async def test_an_unknown_host_is_aiohttps_dns_error_and_its_addresses_are_kept() -> None:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[tuple[str, int]]:
        asked.append(host)
        if host == "gateway.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [("127.0.0.1", port)]

    http = Http1(resolve=resolve)
    url = URL("http://gateway.invalid/")
    with pytest.raises(aiohttp.ClientConnectorDNSError):
        await http.exchange(url, get(url), Limits())
    async with serving(
        Server(answers=[OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length")])
    ) as served:
        named = served.with_host("localhost")
        for _ in range(2):
            await http.exchange(named, get(named), Limits())
    await http.aclose()
    assert asked == ["gateway.invalid", "localhost"]  # two connections, one lookup


async def test_a_connection_that_never_opens_ends_at_the_connect_limit(full_backlog: URL) -> None:
    with pytest.raises(aiohttp.ConnectionTimeoutError):
        await Http1().exchange(full_backlog, get(full_backlog), Limits(connect=0.2))
    with pytest.raises(TimeoutError) as err:  # the whole exchange's limit, first
        await Http1().exchange(full_backlog, get(full_backlog), Limits(connect=5, total=0.2))
    assert not isinstance(err.value, aiohttp.ClientError)


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")  # then nothing more
    await reader.read()


@pytest.mark.parametrize(
    ("limits", "raised"),
    [(Limits(read=0.1), aiohttp.SocketTimeoutError), (Limits(read=5, total=0.1), TimeoutError)],
    ids=["read", "total"],
)
async def test_an_answer_that_stops_coming_ends_at_its_limit_and_frees_the_connection(
    limits: Limits, raised: type[Exception]
) -> None:
    http = Http1(limit=1)
    async with serving(never_answers) as url:
        with pytest.raises(raised):
            await http.exchange(url, get(url), limits)
        with pytest.raises(raised):  # the slot came back
            await http.exchange(url, get(url), limits)
    await http.aclose()


async def test_data_that_keeps_coming_moves_the_read_limit_on() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
        for byte in b"slow":
            await asyncio.sleep(0.06)
            writer.write(bytes([byte]))
        await reader.read()

    http = Http1()
    async with serving(slow) as url:
        answer = await http.exchange(url, get(url), Limits(read=0.15))
    await http.aclose()
    assert answer.body == b"slow"


async def test_a_cancelled_exchange_closes_its_connection() -> None:
    server = Server([b""])  # never answers
    http = Http1(limit=1)
    async with serving(server) as url:
        task = asyncio.ensure_future(http.exchange(url, get(url), Limits()))
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.answers = [OK]
        answer = await http.exchange(url, get(url), Limits(connect=1))
    await http.aclose()
    assert answer.body == b"ok"
    assert server.connections == 2


def dropping_first(answer: bytes = OK) -> Server:
    """Hangs up on the first request without a word; answers the later ones."""

    class Dropping(Server):
        async def __call__(
            self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            if not self.requests:
                self.requests.append(await read_request(reader))
                writer.close()
                return
            await super().__call__(reader, writer)

    return Dropping([answer])


async def test_only_an_idempotent_request_is_sent_again_after_a_drop() -> None:
    http = Http1()
    async with serving(dropping_first()) as url:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await http.exchange(url, get(url), Limits())
    async with serving(server := dropping_first()) as url:
        answer = await http.exchange(url, get(url), Limits(), idempotent=True)
    await http.aclose()
    assert answer.body == b"ok"
    assert len(server.requests) == 2


def test_a_line_break_in_a_header_is_refused_as_aiohttp_refuses_it() -> None:
    for bad in ("a\r\nX-Evil: 1", "a\nb", "a\rb", "x\r\n"):
        with pytest.raises(ValueError, match="Newline or carriage return"):
            request_bytes("GET / HTTP/1.1", [("Host", "h"), ("X", bad)])
    assert (
        request_bytes("POST / HTTP/1.1", [("A", "1")], b"{}")
        == b"POST / HTTP/1.1\r\nA: 1\r\n\r\n{}"
    )


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


async def test_tls_is_verified_against_the_roots_it_is_given(authority: trustme.CA) -> None:
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(served)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    async with serving(Server(), tls=served) as url:
        named = url.with_host("localhost")
        answer = await Http1(tls=trusting).exchange(named, get(named), Limits())
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await Http1(tls=ssl.create_default_context()).exchange(named, get(named), Limits())
    assert answer.body == b"ok"


@pytest.fixture
def full_backlog() -> Iterator[URL]:
    """A listener whose accept queue is full: the kernel drops new SYNs, so connecting hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        with socket.create_connection(listener.getsockname()):
            yield URL(f"http://127.0.0.1:{listener.getsockname()[1]}/")


async def test_a_closed_pool_takes_no_exchange_and_keeps_no_connection() -> None:
    server = Server()
    http = Http1()
    async with serving(server) as url:
        await http.exchange(url, get(url), Limits())
        await http.aclose()
        await asyncio.sleep(0.05)
        assert server.open_now == 0  # the idle connection was closed
        with pytest.raises(RuntimeError, match="Session is closed"):
            await http.exchange(url, get(url), Limits())


async def test_at_the_limit_an_idle_connection_elsewhere_is_closed_to_make_room() -> None:
    first, second = Server(), Server()
    http = Http1(limit=1)
    async with serving(first) as one, serving(second) as other:
        await http.exchange(one, get(one), Limits())
        answer = await http.exchange(other, get(other), Limits(connect=1))
        await asyncio.sleep(0.05)
        assert (first.open_now, second.open_now) == (0, 1)
    await http.aclose()
    assert answer.body == b"ok"
