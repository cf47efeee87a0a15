"""Kept-alive HTTP/1.1 connections for the three calls a card makes, read by httptools.

A card asks the gateway, asks Slack for a new reader's language (users.info) and posts
the card to the response_url. Through aiohttp's client each call cost about 75 µs of CPU
(a request object, merged headers, cookies, timers and a response object every time);
through this, about 25 µs (``bench/http_exchange.py``). The caller hands over the
request's bytes, built as the library it stands in for builds them (its callers' tests
compare the bytes), and gets back the status, the headers as they came and the body as
it came. It does no proxies, redirects, cookies or decoding: its callers keep those
cases on aiohttp, or decode themselves.

Its failures are aiohttp's own exceptions, raised where aiohttp's client raises them, so
every caller's error handling reads them as before: a connection that cannot be opened
(``ClientConnectorError`` and its DNS, TLS and certificate kinds), no connection within
the connect limit (``ConnectionTimeoutError``), no byte within the read limit
(``SocketTimeoutError``), the whole exchange over its limit (``TimeoutError``), a
connection closed before the answer (``ServerDisconnectedError``, or ``ClientOSError``
when reset), a body cut short (``ClientPayloadError``), an answer that is not HTTP
(``ClientResponseError``).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import aiohttp
from aiohttp.client_reqrep import ConnectionKey, RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.http1.connection import Connection, NotHttp

CRLF = "\r\n"
KEEPALIVE_SECONDS = 15.0  # an idle connection is closed after this: aiohttp's default
DNS_SECONDS = 10.0  # a host's addresses are kept this long: aiohttp's default

Resolve = Callable[[str, int], Awaitable[list[tuple[str, int]]]]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a connection goes: scheme, host and port."""

    tls: bool
    host: str
    port: int

    @classmethod
    def of(cls, url: URL) -> Origin:
        if url.scheme not in ("http", "https") or not url.host or url.port is None:
            raise ValueError(f"not an http(s) URL with a host: {url.scheme}://{url.host}")
        return cls(url.scheme == "https", url.host, url.port)


@dataclass(frozen=True, slots=True)
class Limits:
    """How long each part may take, in seconds (None: no limit): getting a connection
    (waiting for a free one, and opening it), the wait between two reads of the answer,
    and the whole exchange."""

    connect: float | None = None
    read: float | None = None
    total: float | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The status, the reason phrase, the headers (bytes, as they came) and the body (as it
    came: not decompressed)."""

    status: int
    reason: str
    raw_headers: tuple[tuple[bytes, bytes], ...] = field(repr=False)
    body: bytes = field(repr=False)

    def headers(self) -> CIMultiDictProxy[str]:
        """The headers as aiohttp gives them (``response.headers``)."""
        return CIMultiDictProxy(
            CIMultiDict(
                (k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
                for k, v in self.raw_headers
            )
        )


async def _getaddrinfo(host: str, port: int) -> list[tuple[str, int]]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(str(info[4][0]), int(info[4][1])) for info in infos]


def default_tls() -> ssl.SSLContext:
    """What aiohttp verifies with by default: the system's trust store, HTTP/1.1 offered."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(("http/1.1",))
    return context


class Http1:
    """Kept-alive connections to any origin, at most *limit* open at once (a caller past it
    waits, within its connect limit). Close it with :meth:`aclose`."""

    def __init__(
        self,
        *,
        limit: int = 100,
        tls: ssl.SSLContext | None = None,
        keepalive: float = KEEPALIVE_SECONDS,
        resolve: Resolve = _getaddrinfo,
    ) -> None:
        self.limit = limit
        self._tls = tls
        self._keepalive = keepalive
        self._resolve = resolve
        self._idle: dict[Origin, deque[Connection]] = {}
        self._open = 0  # opening or open
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._addresses: dict[tuple[str, int], tuple[float, list[tuple[str, int]]]] = {}
        self.closed = False

    def __repr__(self) -> str:
        return f"Http1(limit={self.limit}, open={self._open})"

    async def exchange(
        self, url: URL, request: bytes, limits: Limits, *, idempotent: bool = False
    ) -> Answer:
        """Send *request* (its bytes, whole) to *url*'s origin; its answer. An *idempotent*
        request is sent once more when its connection was lost before the answer, as
        aiohttp sends a GET again."""
        try:
            return await self._exchange(url, request, limits)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            if not idempotent or isinstance(exc, aiohttp.ClientConnectorError):
                raise
        return await self._exchange(url, request, limits)

    async def _exchange(self, url: URL, request: bytes, limits: Limits) -> Answer:
        if self.closed:
            raise RuntimeError("Session is closed")  # as aiohttp's closed session says
        loop = asyncio.get_running_loop()
        deadline = None if limits.total is None else loop.time() + limits.total
        connection = self._take_idle(Origin.of(url), loop.time())
        if connection is None:
            connection = await self._connect(url, limits, deadline)
        try:
            outcome = await connection.send(request, limits.read, deadline)
        except NotHttp as exc:
            raise _not_http(url, exc) from exc.__cause__
        except BaseException:
            connection.close()  # cancelled, or failed: it may be mid-answer
            raise
        status, reason, headers, body, keep = outcome
        if keep and connection.usable and not self.closed:
            self._give_back(connection, loop.time())
        else:
            connection.close()
        return Answer(status, reason, headers, body)

    def _take_idle(self, origin: Origin, now: float) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()  # the most recently used: the likeliest to be alive
            if connection.usable and now - connection.idle_since < self._keepalive:
                return connection
            connection.close()
        return None

    def _give_back(self, connection: Connection, now: float) -> None:
        connection.idle_since = now
        self._idle.setdefault(connection.origin, deque()).append(connection)
        self._wake()

    async def _connect(self, url: URL, limits: Limits, deadline: float | None) -> Connection:
        loop = asyncio.get_running_loop()
        at = None if limits.connect is None else loop.time() + limits.connect
        try:
            async with asyncio.timeout_at(at):
                async with asyncio.timeout_at(deadline):
                    return await self._open_one(Origin.of(url))
        except TimeoutError as exc:
            if at is None or (deadline is not None and deadline <= at):
                raise TimeoutError from exc  # the whole exchange's limit, as aiohttp's total
            raise aiohttp.ConnectionTimeoutError(f"Connection timeout to host {url}") from exc

    async def _open_one(self, origin: Origin) -> Connection:
        """An idle connection that came back while this waited, else a new one."""
        loop = asyncio.get_running_loop()
        while (idle := self._take_idle(origin, loop.time())) is None and self._open >= self.limit:
            self._close_an_idle_one()  # another origin's: its slot frees once it is closed
            waiter = loop.create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
        if idle is not None:
            return idle
        self._open += 1
        try:
            return await self._dial(origin)
        except BaseException:
            self._gone()
            raise

    def _close_an_idle_one(self) -> None:
        for idle in self._idle.values():
            while idle:
                connection = idle.popleft()  # the least recently used
                if connection.usable:
                    connection.close()  # its slot frees once it is closed
                    return

    def _gone(self) -> None:
        """A connection this pool counted is closed (or never opened)."""
        self._open -= 1
        self._wake()

    def _wake(self) -> None:
        if self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def _dial(self, origin: Origin) -> Connection:
        key = _key(origin)
        try:
            addresses = await self._addresses_of(origin)
        except OSError as exc:
            raise aiohttp.ClientConnectorDNSError(key, exc) from exc
        loop, last = asyncio.get_running_loop(), OSError("no address")
        for host, port in addresses:
            try:
                _, connection = await loop.create_connection(
                    lambda: Connection(origin, self._gone),
                    host,
                    port,
                    ssl=self._tls_context() if origin.tls else None,
                    server_hostname=origin.host if origin.tls else None,
                )
                return connection
            except ssl.SSLCertVerificationError as exc:
                raise aiohttp.ClientConnectorCertificateError(key, exc) from exc
            except ssl.SSLError as exc:
                raise aiohttp.ClientConnectorSSLError(key, exc) from exc
            except OSError as exc:
                last = exc
        raise aiohttp.ClientConnectorError(key, last) from last

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = default_tls()
        return self._tls

    async def _addresses_of(self, origin: Origin) -> list[tuple[str, int]]:
        loop = asyncio.get_running_loop()
        name = (origin.host, origin.port)
        kept = self._addresses.get(name)
        if kept is not None and kept[0] > loop.time():
            return kept[1]
        addresses = await self._resolve(*name)
        self._addresses[name] = (loop.time() + DNS_SECONDS, addresses)
        return addresses

    async def aclose(self) -> None:
        """Close every idle connection; those in use close when their exchange ends."""
        self.closed = True
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


def request_bytes(line: str, headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    """A request as aiohttp writes one: *line* (``POST /path?query HTTP/1.1``), each header as
    ``name: value`` in the order given, a blank line, *body*. A line break in a header is
    refused as aiohttp refuses it (ValueError): it would start a header of its own."""
    lines = [f"{name}: {value}" for name, value in headers]
    head = "\r\n".join(lines)
    if head.count("\r") + head.count("\n") > 2 * max(len(lines) - 1, 0):  # not only ours
        raise ValueError("Newline or carriage return character detected in HTTP header")
    return f"{line}\r\n{head}{CRLF if lines else ''}\r\n".encode() + body


def _key(origin: Origin) -> ConnectionKey:
    """aiohttp's name for a connection, which its connector errors carry and print."""
    return ConnectionKey(origin.host, origin.port, origin.tls, True, None, None, None)


def _not_http(url: URL, exc: NotHttp) -> aiohttp.ClientResponseError:
    """What aiohttp raises for an answer its parser refuses."""
    info = RequestInfo(url, "", CIMultiDictProxy(CIMultiDict()), url)
    return aiohttp.ClientResponseError(info, (), status=400, message=str(exc))
