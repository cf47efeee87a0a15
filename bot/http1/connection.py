"""One kept-alive HTTP/1.1 connection: it writes a request's bytes and reads one response
with httptools (llhttp, the parser aiohttp's and Node's are built on), within its time
limits. Failures are aiohttp's exceptions, in aiohttp's words."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import aiohttp
import httptools

from bot.http1.parts import Origin, RawResponse

# aiohttp's client's limits on a head (its max_line_size, max_field_size and max_headers),
# and one of this module's own on a body: the responses it reads are a few KB.
MAX_FIELD = 8190
MAX_HEADERS = 128
# What else but the body a response may send: the most aiohttp takes (a status line, and
# its most headers and trailers at their longest) and a read's worth (256 KiB). httptools
# holds a field until it has it whole, so this bounds what it holds.
MAX_FRAMING = MAX_FIELD + MAX_HEADERS * (2 * MAX_FIELD + 4) + 256 * 1024
MAX_BODY = 8 * 1024 * 1024
_CUT_SHORT = {  # aiohttp's words for a body that stopped before its end
    b"content-length": "<ContentLengthError: 400, message="
    "'Not enough data to satisfy content length header.'>",
    b"transfer-encoding": "<TransferEncodingError: 400, message="
    "'Not enough data to satisfy transfer length header.'>",
}

Sent = asyncio.Future[tuple[RawResponse, bool]]  # the response, and whether to keep the connection


class NotHttp(Exception):
    """The response is not HTTP/1.1 that llhttp accepts, or is past a limit (its words)."""


class Connection(asyncio.Protocol):
    """One connection to *origin*; *gone* is told when it closes (the pool counts it)."""

    def __init__(self, origin: Origin, gone: Callable[[], None]) -> None:
        self.origin = origin
        self.idle_since = 0.0
        self._gone = gone
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        # As lenient as aiohttp's parser is with a response (servers are sloppy): headers
        # with odd characters, a bare LF ending a line, spaces after a chunk's size.
        self._parser.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True,
        )
        self._sent: Sent | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._sock_read: float | None = None
        self._deadline: float | None = None
        self._last_read = 0.0
        self._untrusted = False
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._framing_size = 0
        self._fields = 0
        self._headers_done = False

    @property
    def usable(self) -> bool:
        """Open, between exchanges, and never seen to say what it was not asked."""
        transport = self._transport
        return (
            transport is not None
            and not transport.is_closing()
            and self._sent is None
            and not self._untrusted
        )

    def send(self, request: bytes, sock_read: float | None, deadline: float | None) -> Sent:
        """Write *request*; its response, or the failure: no byte for *sock_read* s, or the
        loop's clock past *deadline*."""
        assert self._transport is not None  # noqa: S101  # the pool hands out open ones
        self._start_response()
        self._sent = sent = self._loop.create_future()
        self._sock_read, self._deadline = sock_read, deadline
        self._last_read = self._loop.time()
        self._arm()
        if self._transport.is_closing():  # lost before it could be used: no answer will come
            self._fail(aiohttp.ServerDisconnectedError())
        else:
            self._transport.write(request)
        return sent

    def close(self) -> None:
        """Close it once its last bytes are out; its place in the pool is free at once (a TLS
        close may wait 30 s for the peer's answer)."""
        self._gone()
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Close it now, mid-exchange: nothing on it is worth sending or a clean close."""
        self._gone()
        if self._transport is not None:
            self._transport.abort()

    # --- asyncio's calls ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream's (uvloop's are not asyncio.Transport subclasses, so no isinstance).
        self._transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        if self._sent is None:  # nothing was asked: it cannot be trusted with a next request
            self._untrusted = True
            self.close()
            return
        self._last_read = self._loop.time()
        body_before = self._size
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # after a 101 (settled): nothing more to read
            if self._sent is not None:
                self._fail(NotHttp("an upgrade nobody asked for"))
            return
        except httptools.HttpParserError as exc:
            self._fail(NotHttp(str(exc) or type(exc).__name__))
            return
        if self._sent is not None:  # what came that was not body: the head, chunk sizes, trailers
            self._framing_size += len(data) - (self._size - body_before)
            if self._framing_size > MAX_FRAMING:
                self._fail(NotHttp(f"Got more than {MAX_FRAMING} bytes of head and framing"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone()
        if self._sent is None:
            return
        framing = self._framing()
        if self._headers_done and framing is None:  # its body was all it sent until closing
            self._settle(keep=False)
        elif framing is not None:
            said = f"Response payload is not completed: {_CUT_SHORT[framing]}"
            self._fail(aiohttp.ClientPayloadError(said if exc is None else f"{said}. {exc!r}"))
        elif isinstance(exc, OSError):
            self._fail(aiohttp.ClientOSError(*exc.args))
        else:
            self._fail(aiohttp.ServerDisconnectedError())

    # --- httptools' calls --------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._sent is None:  # a second response after the one asked for
            self._untrusted = True

    def on_status(self, status: bytes) -> None:
        self._reason += status
        if len(self._reason) > MAX_FIELD:
            self._fail(NotHttp(f"Got more than {MAX_FIELD} bytes when reading Status line"))

    def on_header(self, name: bytes, value: bytes) -> None:
        """A header, or a chunked body's trailer: held to the same limits, but not kept (aiohttp
        drops trailers)."""
        self._fields += 1
        if len(name) > MAX_FIELD or len(value) > MAX_FIELD:
            self._fail(NotHttp(f"Got more than {MAX_FIELD} bytes when reading Header"))
        elif self._fields > MAX_HEADERS:
            self._fail(NotHttp(f"Too many headers received (more than {MAX_HEADERS})"))
        elif b"\x00" in value:  # llhttp's lenient reading lets it through; aiohttp does not
            self._fail(NotHttp(f"Invalid HTTP header: {value!r}"))
        elif not self._headers_done:
            self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        if self._sent is None:
            return
        self._body.append(body)
        self._size += len(body)
        if self._size > MAX_BODY:
            self._fail(aiohttp.ClientPayloadError(f"Response payload is over {MAX_BODY} bytes"))

    def on_message_complete(self) -> None:
        if self._sent is None:
            return
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # informational: as aiohttp, skipped
            self._start_response()
            return
        # A 101 is the response (as aiohttp gives it), and the end of HTTP on the connection.
        self._settle(keep=status != 101 and self._parser.should_keep_alive())

    # --- the response ------------------------------------------------------------------

    def _start_response(self) -> None:
        self._reason, self._headers, self._body, self._headers_done = b"", [], [], False
        self._size = self._framing_size = self._fields = 0

    def _framing(self) -> bytes | None:
        """The header that tells where the body ends, once the head is in, as llhttp reads
        them: a Transfer-Encoding whose last coding is chunked, else a Content-Length when
        there is no Transfer-Encoding; None when the body ends at the close."""
        if not self._headers_done:
            return None
        codings = [v for k, v in self._headers if k.lower() == b"transfer-encoding"]
        if codings:
            last = codings[-1].split(b",")[-1].strip().lower()
            return b"transfer-encoding" if last == b"chunked" else None
        lengths = any(k.lower() == b"content-length" for k, _ in self._headers)
        return b"content-length" if lengths else None

    def _settle(self, *, keep: bool) -> None:
        sent, self._sent = self._sent, None
        self._disarm()
        if sent is not None and not sent.done():
            response = RawResponse(
                self._parser.get_status_code(),
                self._reason.decode("utf-8", "surrogateescape"),  # as aiohttp decodes it
                tuple(self._headers),
                b"".join(self._body),
            )
            sent.set_result((response, keep))
        self._headers, self._body = [], []  # not held while it waits for its next request

    def _fail(self, exc: BaseException) -> None:
        sent, self._sent = self._sent, None
        self._disarm()
        self._untrusted = True  # never used again
        self.abort()
        if sent is not None and not sent.done():
            sent.set_exception(exc)

    def _arm(self) -> None:
        ends = [end for end in (self._deadline, self._read_by()) if end is not None]
        if ends:
            self._timer = self._loop.call_at(min(ends), self._on_time)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _read_by(self) -> float | None:
        return None if self._sock_read is None else self._last_read + self._sock_read

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
