"""One kept-alive HTTP/1.1 connection: it writes a request's bytes and reads one answer with
httptools (llhttp, the parser aiohttp's and Node's are built on), within its time limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import aiohttp
import httptools

if TYPE_CHECKING:
    from bot.http1.pool import Origin

# status, reason, headers, body, and whether the connection may be used again
Outcome = tuple[int, str, tuple[tuple[bytes, bytes], ...], bytes, bool]

# aiohttp's client's limits on a head (its max_line_size, max_field_size and max_headers),
# and one of this module's own on a body: the answers it reads are a few KB.
MAX_FIELD = 8190
MAX_HEADERS = 128
MAX_BODY = 8 * 1024 * 1024
_UNFRAMED = (b"content-length", b"transfer-encoding")  # without either, the body ends at close
_CUT_SHORT = {
    b"content-length": "<ContentLengthError: 400, message="
    "'Not enough data to satisfy content length header.'>",
    b"transfer-encoding": "<TransferEncodingError: 400, message="
    "'Not enough data to satisfy transfer length header.'>",
}


class NotHttp(Exception):
    """The answer is not HTTP/1.1 that llhttp accepts (its words)."""


class Connection(asyncio.Protocol):
    """One connection to *origin*; *gone* is told once, when it closes."""

    def __init__(self, origin: Origin, gone: Callable[[], None]) -> None:
        self.origin = origin
        self.idle_since = 0.0
        self._gone: Callable[[], None] | None = gone
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[Outcome] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._read: float | None = None
        self._deadline: float | None = None
        self._last_read = 0.0
        self._talks_out_of_turn = False
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._headers_done = False
        self._size = 0

    @property
    def usable(self) -> bool:
        """Open, between exchanges, and never seen to answer what it was not asked."""
        transport = self._transport
        return (
            transport is not None
            and not transport.is_closing()
            and self._answer is None
            and not self._talks_out_of_turn
        )

    def send(
        self, request: bytes, read: float | None, deadline: float | None
    ) -> asyncio.Future[Outcome]:
        """Write *request*; its answer, or the failure: no byte for *read* s, or the
        loop's clock past *deadline*."""
        assert self._transport is not None  # noqa: S101  # the pool hands out open ones
        self._reason, self._headers, self._body, self._headers_done = b"", [], [], False
        self._size = 0
        self._answer = answer = self._loop.create_future()
        self._read, self._deadline = read, deadline
        self._last_read = self._loop.time()
        self._arm()
        self._transport.write(request)
        return answer

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # --- asyncio's calls ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream's (uvloop's are not asyncio.Transport subclasses, so no isinstance).
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        if self._answer is None:  # nothing was asked: it cannot be trusted with a next request
            self._talks_out_of_turn = True
            self.close()
            return
        self._last_read = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:  # HttpParserUpgrade too: none was asked for
            self._fail(NotHttp(str(exc) or type(exc).__name__))

    def connection_lost(self, exc: Exception | None) -> None:
        gone, self._gone = self._gone, None
        if gone is not None:
            gone()
        if self._answer is None:
            return
        if self._headers_done and not self._framed():  # its body was all it sent until closing
            self._settle(keep=False)
        elif self._headers_done:
            name = next(k.lower() for k, _ in self._headers if k.lower() in _UNFRAMED)
            said = f"Response payload is not completed: {_CUT_SHORT[name]}"
            self._fail(aiohttp.ClientPayloadError(said if exc is None else f"{said}. {exc!r}"))
        elif isinstance(exc, OSError):
            self._fail(aiohttp.ClientOSError(*exc.args))
        else:
            self._fail(aiohttp.ServerDisconnectedError())

    # --- httptools' calls --------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._answer is None:  # a second answer after the one asked for
            self._talks_out_of_turn = True

    def on_status(self, status: bytes) -> None:
        self._reason += status
        if len(self._reason) > MAX_FIELD:
            self._fail(NotHttp(f"Got more than {MAX_FIELD} bytes when reading Status line"))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        if len(name) > MAX_FIELD or len(value) > MAX_FIELD:
            self._fail(NotHttp(f"Got more than {MAX_FIELD} bytes when reading Header"))
        elif len(self._headers) > MAX_HEADERS:
            self._fail(NotHttp(f"Too many headers received (more than {MAX_HEADERS})"))

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        if self._answer is None:
            return
        self._body.append(body)
        self._size += len(body)
        if self._size > MAX_BODY:
            self._fail(aiohttp.ClientPayloadError(f"Response payload is over {MAX_BODY} bytes"))

    def on_message_complete(self) -> None:
        if self._answer is not None:
            self._settle(keep=self._parser.should_keep_alive())

    # --- the answer --------------------------------------------------------------------

    def _framed(self) -> bool:
        return any(name.lower() in _UNFRAMED for name, _ in self._headers)

    def _settle(self, *, keep: bool) -> None:
        answer, self._answer = self._answer, None
        self._disarm()
        if answer is not None and not answer.done():
            status = self._parser.get_status_code()
            reason = self._reason.decode("latin-1")
            answer.set_result((status, reason, tuple(self._headers), b"".join(self._body), keep))
        self._headers, self._body = [], []  # not held while it waits for its next request

    def _fail(self, exc: BaseException) -> None:
        answer, self._answer = self._answer, None
        self._disarm()
        self._talks_out_of_turn = True  # never used again
        self.close()
        if answer is not None and not answer.done():
            answer.set_exception(exc)

    def _arm(self) -> None:
        ends = [end for end in (self._deadline, self._read_by()) if end is not None]
        if ends:
            self._timer = self._loop.call_at(min(ends), self._on_time)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _read_by(self) -> float | None:
        return None if self._read is None else self._last_read + self._read

    def _on_time(self) -> None:
        """A limit may have passed (data that came since only moved the read limit on)."""
        self._timer = None
        now, read_by = self._loop.time(), self._read_by()
        if self._deadline is not None and now >= self._deadline:
            self._fail(TimeoutError())
        elif read_by is not None and now >= read_by:
            self._fail(aiohttp.SocketTimeoutError("Timeout on reading data from socket"))
        else:
            self._arm()
