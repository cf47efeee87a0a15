"""Kept-alive connections: one exchange after another on the same connection, a limit on
how many are open, and each failure as aiohttp's client raises it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import ssl
from collections.abc import Iterator
from typing import Any, cast

import aiohttp
import pytest
import trustme
from yarl import URL

from bot.http1 import Http1Pool, Timeouts, request_bytes
from bot.http1.connection import Connection
from tests.http1.helpers import OK, WAIT, Server, get, never_answers, read_request, serving, until


async def test_an_answer_comes_back_as_sent_and_the_connection_is_used_again() -> None:
    answer = b"HTTP/1.1 201 Made It\r\nX-One: a\r\nx-one: b\r\nContent-Length: 5\r\n\r\nhello"
    server = Server([answer])
    http = Http1Pool()
    async with serving(server) as url:
        first = await http.exchange(url, get(url), Timeouts())
        second = await http.exchange(url / "again", get(url / "again"), Timeouts())
    await http.aclose()
    assert (first.status, first.reason, first.body) == (201, "Made It", b"hello")
    assert first.raw_headers == ((b"X-One", b"a"), (b"x-one", b"b"), (b"Content-Length", b"5"))
    assert first.headers().getall("x-one") == ["a", "b"]
    assert second.body == b"hello"
    assert server.connections == 1
    assert [r.split(b" ")[1] for r in server.requests] == [b"/", b"/again"]


async def test_no_more_connections_than_the_limit_are_open_at_once() -> None:
    server = Server()
    http = Http1Pool(limit=2)
    async with serving(server) as url:
        answers = await asyncio.gather(
            *(http.exchange(url, get(url), Timeouts()) for _ in range(6))
        )
    await http.aclose()
    assert [a.body for a in answers] == [b"ok"] * 6
    assert (server.most_open, server.connections) == (2, 2)


async def test_past_the_limit_a_caller_waits_no_longer_than_its_connect_limit() -> None:
    http = Http1Pool(limit=1)
    async with serving(never_answers) as url:
        hung = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await until(lambda: http.open == 1)
        with pytest.raises(aiohttp.ConnectionTimeoutError, match="Connection timeout to host"):
            await http.exchange(url, get(url), Timeouts(connect=0.1))
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

    http = Http1Pool()
    async with serving(one_answer_then_close) as url:
        await http.exchange(url, get(url), Timeouts())
        await until(lambda: http.open == 0)  # the close arrives while idle
        second = await http.exchange(url, get(url), Timeouts())
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
    http = Http1Pool(keepalive=keepalive)
    async with serving(server) as url:
        for _ in range(2):
            assert (await http.exchange(url, get(url), Timeouts())).body == b"ok"
    await http.aclose()
    assert server.connections == connections


async def test_a_refused_connection_is_aiohttps_connector_error() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        url = URL(f"http://127.0.0.1:{held.getsockname()[1]}/")
        with pytest.raises(aiohttp.ClientConnectorError) as err:
            await Http1Pool().exchange(url, get(url), Timeouts())
    assert err.value.os_error.errno == errno.ECONNREFUSED
    assert str(err.value).startswith(f"Cannot connect to host 127.0.0.1:{url.port} ssl:default")


async def test_an_unknown_host_is_aiohttps_dns_error_and_its_addresses_are_kept() -> None:
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[tuple[str, int]]:
        asked.append(host)
        if host == "gateway.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [("127.0.0.1", port)]

    http = Http1Pool(resolve=resolve)
    url = URL("http://gateway.invalid/")
    with pytest.raises(aiohttp.ClientConnectorDNSError):
        await http.exchange(url, get(url), Timeouts())
    async with serving(
        Server(answers=[OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length")])
    ) as served:
        named = served.with_host("localhost")
        for _ in range(2):
            await http.exchange(named, get(named), Timeouts())
    await http.aclose()
    assert asked == ["gateway.invalid", "localhost"]  # two connections, one lookup


async def test_a_connection_that_never_opens_ends_at_the_connect_limit(full_backlog: URL) -> None:
    with pytest.raises(aiohttp.ConnectionTimeoutError):
        await Http1Pool().exchange(full_backlog, get(full_backlog), Timeouts(connect=0.2))
    with pytest.raises(TimeoutError) as err:  # the whole exchange's limit, first
        await Http1Pool().exchange(full_backlog, get(full_backlog), Timeouts(connect=5, total=0.2))
    assert not isinstance(err.value, aiohttp.ClientError)


async def answers_in_part(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")  # then nothing more
    await reader.read()


@pytest.mark.parametrize(
    ("limits", "raised"),
    [
        (Timeouts(sock_read=0.1), aiohttp.SocketTimeoutError),
        (Timeouts(sock_read=5, total=0.1), TimeoutError),
    ],
    ids=["read", "total"],
)
async def test_an_answer_that_stops_coming_ends_at_its_limit_and_frees_the_connection(
    limits: Timeouts, raised: type[Exception]
) -> None:
    http = Http1Pool(limit=1)
    async with serving(answers_in_part) as url:
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

    http = Http1Pool()
    async with serving(slow) as url:
        answer = await http.exchange(url, get(url), Timeouts(sock_read=0.15))
    await http.aclose()
    assert answer.body == b"slow"


async def test_a_cancelled_exchange_closes_its_connection() -> None:
    server = Server([b""])  # never answers
    http = Http1Pool(limit=1)
    async with serving(server) as url:
        task = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await until(lambda: len(server.requests) == 1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.answers = [OK]
        answer = await http.exchange(url, get(url), Timeouts(connect=1))
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
    http = Http1Pool()
    async with serving(dropping_first()) as url:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await http.exchange(url, get(url), Timeouts())
    async with serving(server := dropping_first()) as url:
        answer = await http.exchange(url, get(url), Timeouts(), idempotent=True)
    await http.aclose()
    assert answer.body == b"ok"
    assert len(server.requests) == 2


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
        answer = await Http1Pool(tls=trusting).exchange(named, get(named), Timeouts())
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await Http1Pool(tls=ssl.create_default_context()).exchange(
                named, get(named), Timeouts()
            )
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
    http = Http1Pool()
    async with serving(server) as url:
        await http.exchange(url, get(url), Timeouts())
        await http.aclose()
        await until(lambda: server.open_now == 0)  # the idle connection was closed
        with pytest.raises(RuntimeError, match="Session is closed"):
            await http.exchange(url, get(url), Timeouts())


async def test_at_the_limit_an_idle_connection_elsewhere_is_closed_to_make_room() -> None:
    first, second = Server(), Server()
    http = Http1Pool(limit=1)
    async with serving(first) as one, serving(second) as other:
        await http.exchange(one, get(one), Timeouts())
        answer = await http.exchange(other, get(other), Timeouts(connect=1))
        await until(lambda: (first.open_now, second.open_now) == (0, 1))
    await http.aclose()
    assert answer.body == b"ok"


async def test_a_waiter_cancelled_as_a_connection_comes_back_passes_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """B and C wait for A's connection; B is cancelled in the very step A gives it back
    (its timeout, under load): C gets the connection, not a wait to its own timeout."""
    release = asyncio.Event()

    async def held(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError):
            while True:
                await read_request(reader)
                await release.wait()
                writer.write(OK)
                await writer.drain()

    http = Http1Pool(limit=1)
    async with serving(held) as url:
        a = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await until(lambda: http.open == 1)
        b = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        c = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await until(lambda: len(http._waiting) == 2)
        give_back = Http1Pool._give_back

        def give_back_then_cancel_b(self: Http1Pool, connection: Any) -> None:
            give_back(self, connection)
            b.cancel()

        monkeypatch.setattr(Http1Pool, "_give_back", give_back_then_cancel_b)
        release.set()
        await a
        monkeypatch.setattr(Http1Pool, "_give_back", give_back)
        answer = await asyncio.wait_for(c, WAIT)
        assert b.cancelled()
    await http.aclose()
    assert answer.body == b"ok"


async def test_a_dial_cancelled_once_its_connection_is_made_frees_its_place_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = Connection.connection_made
    task: asyncio.Future[Any] | None = None

    def made_then_cancelled(self: Connection, transport: asyncio.BaseTransport) -> None:
        made(self, transport)
        assert task is not None
        task.cancel()  # a timeout firing in the step the connection is made

    http = Http1Pool(limit=1)
    async with serving(Server()) as url:
        monkeypatch.setattr(Connection, "connection_made", made_then_cancelled)
        task = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await asyncio.gather(task, return_exceptions=True)
        monkeypatch.setattr(Connection, "connection_made", made)
        await until(lambda: http.open <= 0)
        assert http.open == 0  # not -1: the limit still holds
        assert (await http.exchange(url, get(url), Timeouts())).body == b"ok"
    await http.aclose()


async def test_an_idle_connection_is_closed_once_its_keep_alive_is_over() -> None:
    """As aiohttp's connector does: not left open until someone asks for that origin again."""
    server = Server()
    http = Http1Pool(keepalive=0.05)
    async with serving(server) as url:
        await http.exchange(url, get(url), Timeouts())
        await until(lambda: server.open_now == 0)
        assert http.open == 0
    await http.aclose()


async def test_callers_that_miss_the_dns_cache_at_once_share_one_lookup() -> None:
    asked: list[str] = []
    answer = asyncio.Event()

    async def resolve(host: str, port: int) -> list[tuple[str, int]]:
        asked.append(host)
        await answer.wait()
        return [("127.0.0.1", port)]

    http = Http1Pool(resolve=resolve)
    async with serving(Server()) as served:
        named = served.with_host("gateway.test")
        calls = [
            asyncio.ensure_future(http.exchange(named, get(named), Timeouts())) for _ in range(5)
        ]
        await until(lambda: len(asked) == 1)
        calls[0].cancel()  # one caller giving up does not fail the others' lookup
        answer.set()
        done = await asyncio.gather(*calls, return_exceptions=True)
    await http.aclose()
    assert asked == ["gateway.test"]
    assert [r.body for r in done[1:]] == [b"ok"] * 4  # type: ignore[union-attr]


async def test_a_get_sent_again_keeps_to_the_one_total_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """aiohttp's total covers the second try of a GET: both tries end at the same moment."""

    async def drop_then_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if not dropped:
            dropped.append(True)
            writer.close()
            return
        writer.write(OK)
        await writer.drain()

    dropped: list[bool] = []
    deadlines: list[float | None] = []
    send = Connection.send

    def recorded(self: Connection, request: bytes, sock_read: Any, deadline: Any) -> Any:
        deadlines.append(deadline)
        return send(self, request, sock_read, deadline)

    monkeypatch.setattr(Connection, "send", recorded)
    async with serving(drop_then_answer) as url:
        answer = await Http1Pool().exchange(url, get(url), Timeouts(total=5), idempotent=True)
    assert answer.body == b"ok"
    assert len(deadlines) == 2
    assert deadlines[0] == deadlines[1]


async def test_a_host_named_with_its_last_dot_is_verified_as_aiohttp_names_it(
    authority: trustme.CA,
) -> None:
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(served)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)

    async def resolve(host: str, port: int) -> list[tuple[str, int]]:
        return [("127.0.0.1", port)]

    async with serving(Server(), tls=served) as url:
        named = url.with_host("localhost.")
        answer = await Http1Pool(tls=trusting, resolve=resolve).exchange(
            named, get(named), Timeouts()
        )
    assert answer.body == b"ok"


async def test_a_caller_waiting_when_the_pool_closes_opens_nothing() -> None:
    http = Http1Pool(limit=1)
    async with serving(never_answers) as url:
        first = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await until(lambda: http.open == 1)
        second = asyncio.ensure_future(http.exchange(url, get(url), Timeouts()))
        await until(lambda: len(http._waiting) == 1)
        await http.aclose()
        first.cancel()
        with pytest.raises(RuntimeError, match="Session is closed"):
            await second
        await asyncio.gather(first, return_exceptions=True)


async def test_a_failed_exchanges_place_is_free_at_once_whatever_its_close_waits_for(
    authority: trustme.CA,
) -> None:
    """A gateway that stops (reads nothing, says nothing): the exchange ends at its read
    limit, and its place is free at once, though TLS's close would wait 30 s for the peer's
    answer and a plain close for unsent bytes."""
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(served)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    held: list[asyncio.StreamWriter] = []

    async def stopped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        # A stream's transport reads (uvloop's is no asyncio.ReadTransport subclass).
        cast("asyncio.ReadTransport", writer.transport).pause_reading()
        await asyncio.Event().wait()

    big = 64 * 1024 * 1024  # more than the socket buffers take: bytes stay unsent
    async with serving(stopped, tls=served) as tls_url, serving(stopped) as plain_url:
        for url, body in ((tls_url.with_host("localhost"), b""), (plain_url, b"x" * big)):
            http = Http1Pool(limit=1, tls=trusting)
            line = f"POST {url.raw_path_qs} HTTP/1.1"
            host = url.host_port_subcomponent or ""
            request = request_bytes(
                line, [("Host", host), ("Content-Length", str(len(body)))], body
            )
            with pytest.raises(aiohttp.SocketTimeoutError):
                await http.exchange(url, request, Timeouts(sock_read=0.2))
            assert http.open == 0
            await http.aclose()
        for writer in held:
            writer.transport.abort()
