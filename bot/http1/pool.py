"""Kept-alive HTTP/1.1 connections to any number of origins, at most so many open at once.

The caller hands over a request's bytes (:mod:`bot.http1.writing`) and gets back the
status, the headers and the body as they came (:class:`~bot.http1.parts.RawResponse`).
There are no proxies, redirects, cookies or decompression here: callers keep those cases
on aiohttp, or decode themselves (:mod:`bot.http1.decoding`).

Failures are aiohttp's own exceptions, raised where aiohttp's client raises them, so a
caller's error handling reads them as before: a connection that cannot be opened
(``ClientConnectorError``, and its DNS, TLS and certificate kinds), no connection within
the connect limit (``ConnectionTimeoutError``), no byte within the read limit
(``SocketTimeoutError``), the whole exchange over its limit (``TimeoutError``), a
connection closed before the response (``ServerDisconnectedError``, or ``ClientOSError``
when reset), a body cut short (``ClientPayloadError``), a response that is not HTTP or
past aiohttp's limits on a head (``ClientResponseError``). Where it differs from aiohttp:
addresses are tried one after another, in the order the resolver gives them (aiohttp races
them 0.25 s apart), and a space before a header's colon is refused (aiohttp's llhttp is
lenient there; httptools' offers no such leniency).
"""

from __future__ import annotations

import asyncio
import math
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from yarl import URL

from bot.http1.connection import Connection, NotHttp
from bot.http1.parts import Origin, RawResponse, Timeouts, request_info

KEEPALIVE_SECONDS = 15.0  # an idle connection is closed after this: aiohttp's default
DNS_SECONDS = 10.0  # a host's addresses are kept this long: aiohttp's default

Resolve = Callable[[str, int], Awaitable[list[tuple[str, int]]]]


async def _getaddrinfo(host: str, port: int) -> list[tuple[str, int]]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(str(info[4][0]), int(info[4][1])) for info in infos]


def default_tls() -> ssl.SSLContext:
    """What aiohttp verifies with by default: the system's trust store, HTTP/1.1 offered."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(("http/1.1",))
    return context


class _Slot:
    """One connection's place under the limit, given back once however it ends."""

    __slots__ = ("_freed",)

    def __init__(self, freed: Callable[[], None]) -> None:
        self._freed: Callable[[], None] | None = freed

    def give_back(self) -> None:
        freed, self._freed = self._freed, None
        if freed is not None:
            freed()


class Http1Pool:
    """Kept-alive connections to any origin, at most *limit* open at once (a caller past it
    waits, within its connect limit); an idle one is closed after *keepalive* s. Close it
    with :meth:`aclose`."""

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
        self._resolving: dict[tuple[str, int], asyncio.Future[list[tuple[str, int]]]] = {}
        self._sweep: asyncio.TimerHandle | None = None
        self.closed = False

    def __repr__(self) -> str:
        return f"Http1Pool(limit={self.limit}, open={self._open})"

    @property
    def open(self) -> int:
        """Connections opening or open, in use or idle."""
        return self._open

    async def exchange(
        self, url: URL, request: bytes, timeouts: Timeouts, *, idempotent: bool = False
    ) -> RawResponse:
        """Send *request* (its bytes, whole) to *url*'s origin; its response. An *idempotent*
        request is sent once more when its connection was lost before the response, as
        aiohttp sends a GET again (within the same total)."""
        if self.closed:
            raise RuntimeError("Session is closed")  # as aiohttp's closed session says
        loop = asyncio.get_running_loop()
        deadline = None if timeouts.total is None else loop.time() + timeouts.total
        try:
            return await self._exchange(url, request, timeouts, deadline)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            if not idempotent or isinstance(exc, aiohttp.ClientConnectorError):
                raise
        return await self._exchange(url, request, timeouts, deadline)

    async def _exchange(
        self, url: URL, request: bytes, timeouts: Timeouts, deadline: float | None
    ) -> RawResponse:
        origin = Origin.of(url)
        connection = self._take_idle(origin, asyncio.get_running_loop().time())
        if connection is None:
            connection = await self._connect(url, origin, timeouts, deadline)
        try:
            response, keep = await connection.send(request, timeouts.sock_read, deadline)
        except NotHttp as exc:
            raise _not_http(url, exc) from exc
        except BaseException:
            connection.abort()  # cancelled, or failed: it may be mid-response
            raise
        if keep and connection.usable and not self.closed:
            self._give_back(connection)
        else:
            connection.close()
        return response

    def _take_idle(self, origin: Origin, now: float) -> Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()  # the most recently used: the likeliest to be alive
            if connection.usable and now - connection.idle_since < self._keepalive:
                return connection
            connection.close()
        return None

    def _give_back(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        connection.idle_since = loop.time()
        self._idle.setdefault(connection.origin, deque()).append(connection)
        if self._sweep is None and math.isfinite(self._keepalive):
            self._sweep = loop.call_later(self._keepalive, self._close_expired)
        self._wake()

    def _close_expired(self) -> None:
        """Close the connections idle for longer than the keep-alive, as aiohttp does."""
        self._sweep = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        for idle in self._idle.values():
            while idle and (not idle[0].usable or now - idle[0].idle_since >= self._keepalive):
                idle.popleft().close()  # the least recently used first
        oldest = min((idle[0].idle_since for idle in self._idle.values() if idle), default=None)
        if oldest is not None:
            self._sweep = loop.call_at(oldest + self._keepalive, self._close_expired)

    async def _connect(
        self, url: URL, origin: Origin, timeouts: Timeouts, deadline: float | None
    ) -> Connection:
        loop = asyncio.get_running_loop()
        at = None if timeouts.connect is None else loop.time() + timeouts.connect
        try:
            async with asyncio.timeout_at(at):
                async with asyncio.timeout_at(deadline):
                    return await self._open_one(origin)
        except TimeoutError as exc:
            if at is None or (deadline is not None and deadline <= at):
                raise TimeoutError from exc  # the whole exchange's limit, as aiohttp's total
            raise aiohttp.ConnectionTimeoutError(f"Connection timeout to host {url}") from exc

    async def _open_one(self, origin: Origin) -> Connection:
        """An idle connection that came back while this waited, else a new one."""
        loop = asyncio.get_running_loop()
        while (idle := self._take_idle(origin, loop.time())) is None and self._open >= self.limit:
            if self._close_an_idle_one():  # another origin's: its place is free at once
                continue
            waiter = loop.create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: the next waiter's turn
                raise
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
        if idle is not None:
            return idle
        if self.closed:  # closed while this waited
            raise RuntimeError("Session is closed")
        self._open += 1
        slot = _Slot(self._slot_freed)
        try:
            return await self._dial(origin, slot)
        except BaseException:
            slot.give_back()  # once: a connection made before the failure gives it back too
            raise

    def _close_an_idle_one(self) -> bool:
        """Close the least recently used idle connection; whether there was one."""
        for idle in self._idle.values():
            if idle:
                idle.popleft().close()  # its place is given back as it closes
                return True
        return False

    def _slot_freed(self) -> None:
        self._open -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _dial(self, origin: Origin, slot: _Slot) -> Connection:
        key = _key(origin)
        try:
            addresses = await self._addresses_of(origin)
        except OSError as exc:
            raise aiohttp.ClientConnectorDNSError(key, exc) from exc
        loop, last = asyncio.get_running_loop(), OSError("no address")
        for host, port in addresses:
            try:
                _, connection = await loop.create_connection(
                    lambda: Connection(origin, slot.give_back),
                    host,
                    port,
                    ssl=self._tls_context() if origin.tls else None,
                    # As aiohttp names the host: without a fully qualified name's last dot.
                    server_hostname=origin.host.rstrip(".") if origin.tls else None,
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
        """The origin's addresses: kept for a while, asked once however many ask at once."""
        loop = asyncio.get_running_loop()
        name = (origin.host, origin.port)
        kept = self._addresses.get(name)
        if kept is not None and kept[0] > loop.time():
            return kept[1]
        asking = self._resolving.get(name)
        if asking is None:
            asking = self._resolving[name] = asyncio.ensure_future(self._resolve(*name))
            asking.add_done_callback(self._resolved)
        addresses = await asyncio.shield(asking)  # one caller cancelled: the others still wait
        self._addresses[name] = (loop.time() + DNS_SECONDS, addresses)
        return addresses

    def _resolved(self, asked: asyncio.Future[list[tuple[str, int]]]) -> None:
        """A lookup ended: the next one asks afresh (its failure was read by its callers, or
        by this, when they were all cancelled)."""
        self._resolving = {k: v for k, v in self._resolving.items() if v is not asked}
        if not asked.cancelled():
            asked.exception()

    async def aclose(self) -> None:
        """Close every idle connection; those in use close when their exchange ends."""
        self.closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


def _key(origin: Origin) -> ConnectionKey:
    """aiohttp's name for a connection, which its connector errors carry and print."""
    return ConnectionKey(origin.host, origin.port, origin.tls, True, None, None, None)


def _not_http(url: URL, exc: NotHttp) -> aiohttp.ClientResponseError:
    """What aiohttp raises for a response its parser refuses."""
    return aiohttp.ClientResponseError(request_info("", url), (), status=400, message=str(exc))
