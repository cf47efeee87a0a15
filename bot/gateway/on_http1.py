"""A body-signed gateway call around httpx, on the process's own kept-alive connections
(:mod:`bot.http1`): the request httpx would send through httpx-aiohttp's transport, byte for
byte, with the same limit, keep-alive and TLS as that transport's session, without httpx's
Request and Response or aiohttp's client around it (two thirds of a call's CPU).

It is taken only where httpx would hand the call to that transport: the process's client
(:func:`bot.gateway.transport.new_http_client`, which has the connections) with its default
``AiohttpTransport`` for the URL (no test transport, respx, mount, in-process sandbox or
proxy), an empty cookie jar, no event hooks. Everything else, token mode included
(:mod:`bot.gateway.client`), stays on httpx. A failure is raised as httpx-aiohttp raises it:
:mod:`bot.http1` raises aiohttp's exceptions, which its ``map_aiohttp_exceptions`` maps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx
from httpx._client import ClientState  # the state httpx's own send() moves; no public name
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions
from yarl import URL

from bot.gateway.auth import BodySigAuth
from bot.gateway.protocol import JSON_HEADERS
from bot.gateway.transport import HttpxOnAiohttp
from bot.http1 import RawResponse, Timeouts, request_bytes, request_line

# httpx writes its request line in its own send(), which this path never calls, so it is
# written here, word for word, on httpx's logger: docs/operations.md shows it among a
# lookup's lines ("Logs": `HTTP Request: POST … "HTTP/1.1 200 OK"`, logger httpx), with
# the lookup's msgId, and an operator following a msgId expects it whichever path sent it.
_httpx_log = logging.getLogger("httpx")


@dataclass(frozen=True, slots=True)
class Http1Reply:
    """A reply as :func:`bot.gateway.interpret.interpret` reads it: the status, the body
    (decoded as httpx would decode it), and the headers as they came."""

    status_code: int
    content: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...] = field(repr=False)

    @property
    def headers(self) -> httpx.Headers:
        """The headers as httpx reads them (its decoding, repeated names joined)."""
        return httpx.Headers(list(self.raw_headers))


@dataclass(frozen=True, slots=True)
class _Way:
    """One URL as httpx sends to it: the URL it merges and the headers it builds (for its
    cookie jar), and the request as aiohttp writes it: its line, the headers before the
    body's length and the signature, and the headers after them."""

    url: httpx.URL
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    target: URL = field(repr=False)
    line: str = field(repr=False)
    before: tuple[tuple[str, str], ...] = field(repr=False)
    after: tuple[tuple[str, str], ...] = field(repr=False)

    @classmethod
    def of(cls, http: httpx.AsyncClient, url: str) -> _Way:
        request = http.build_request("POST", url, content=b"{}", headers=JSON_HEADERS)
        headers = list(request.headers.items())  # no Authorization: it is signed per call
        at = next(i for i, (k, _) in enumerate(headers) if k == "content-length")
        target = URL(str(request.url), encoded=True)
        return cls(
            url=request.url,
            headers=tuple(headers),
            target=target,
            line=request_line("POST", target),
            before=tuple(headers[:at]),
            after=tuple(headers[at + 1 :]),
        )


class Http1Path:
    """Body-signed calls on the kept-alive connections of the process's httpx client."""

    def __init__(self, http: httpx.AsyncClient, auth: BodySigAuth) -> None:
        self._http = http
        self._auth = auth
        self._ways: dict[str, _Way] = {}

    def __repr__(self) -> str:
        return f"Http1Path({self._auth!r})"

    def way_for(self, url: str) -> _Way | None:
        """The way to *url* around httpx, or None when httpx must carry the call."""
        http = self._http
        if not isinstance(http, HttpxOnAiohttp) or http.is_closed:
            return None
        # A cookie the gateway set goes back only through httpx, which adds it (its jar is
        # read at each request); hooks see httpx's objects.
        if len(http.cookies.jar) or any(http.event_hooks.values()):
            return None
        way = self._ways.get(url)
        if way is None:
            way = self._ways[url] = _Way.of(http, url)
        transport = http._transport_for_url(way.url)  # what respx and mounts replace
        if transport is not http._transport or type(transport) is not AiohttpTransport:
            return None
        # What the connections here do not do: a proxy, a Unix socket, a local address or
        # socket options of the transport's.
        sockets = transport.uds or transport.local_address or transport.socket_options
        return way if transport.proxy is None and not sockets else None

    async def post(self, way: _Way, body: bytes, *, seconds: float) -> Http1Reply:
        """POST *body*, signed, to *way*; raise httpx's TransportError as httpx-aiohttp
        would (the same class, message and chain) for whatever goes wrong on the way."""
        http = self._http
        assert isinstance(http, HttpxOnAiohttp)  # noqa: S101  # way_for() checked it
        http._state = ClientState.OPENED  # as httpx's send() marks it
        signed = (("content-length", str(len(body))), ("authorization", self._auth.header(body)))
        request = request_bytes(way.line, (*way.before, *signed, *way.after), body)
        # httpx's Timeout(seconds) as httpx-aiohttp maps it: no limit on the whole.
        timeouts = Timeouts(connect=seconds, sock_read=seconds)
        with map_aiohttp_exceptions():
            response = await http.connections.exchange(way.target, request, timeouts)
        return _reply(http, way, response)


def _reply(http: httpx.AsyncClient, way: _Way, response: RawResponse) -> Http1Reply:
    """The reply, its cookies kept and its line logged as httpx does."""
    status, reason, raw_headers = response.status, response.reason, response.raw_headers
    content = response.body
    names = {name.lower() for name, _ in raw_headers}
    if b"set-cookie" in names:
        request = httpx.Request("POST", way.url, headers=list(way.headers))
        http.cookies.extract_cookies(httpx.Response(status, headers=raw_headers, request=request))
    if _httpx_log.isEnabledFor(logging.INFO):
        phrase = (
            reason.encode().decode("ascii", errors="ignore")
            if reason
            else httpx.codes.get_reason_phrase(status)
        )
        _httpx_log.info(
            'HTTP Request: %s %s "%s %d %s"', "POST", way.url, "HTTP/1.1", status, phrase
        )
    if b"content-encoding" in names:  # as httpx decodes a body (the connections do not)
        content = httpx.Response(status, headers=raw_headers, content=content).content
    return Http1Reply(status, content, raw_headers)
