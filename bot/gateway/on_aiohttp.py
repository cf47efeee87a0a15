"""A body-signed gateway call straight through aiohttp: the request httpx would send through
httpx-aiohttp's transport, byte for byte, on that transport's own session (its pool, limit
and keep-alive), without httpx's Request and Response around it (a third of a call's CPU).

It is taken only where httpx would hand the call to that transport: the process's
``HttpxAiohttpClient`` with its default ``AiohttpTransport`` for the URL (no test transport,
respx, mount, in-process sandbox or proxy), an empty cookie jar, no event hooks. Everything
else, token mode included (:mod:`bot.gateway.client`), stays on httpx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import aiohttp
import httpx
from httpx._client import ClientState  # the state httpx's own send() moves; no public name
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient
from httpx_aiohttp.transport import map_aiohttp_exceptions

from bot.gateway.auth import BodySigAuth
from bot.gateway.protocol import JSON_HEADERS

# httpx writes its request line in its own send(), which this path never calls, so it is
# written here, word for word, on httpx's logger: docs/operations.md shows it among a
# lookup's lines ("Logs": `HTTP Request: POST … "HTTP/1.1 200 OK"`, logger httpx), with
# the lookup's msgId, and an operator following a msgId expects it whichever path sent it.
_httpx_log = logging.getLogger("httpx")


@dataclass(frozen=True, slots=True)
class AiohttpReply:
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
    """One URL as httpx sends to it: the URL it merges, and the headers it builds before
    the body's length and the signature (no Authorization here: it is signed per call)."""

    url: httpx.URL
    url_text: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)

    @classmethod
    def of(cls, http: httpx.AsyncClient, url: str) -> _Way:
        request = http.build_request("POST", url, content=b"{}", headers=JSON_HEADERS)
        return cls(request.url, str(request.url), tuple(request.headers.items()))


class AiohttpPath:
    """Body-signed calls on the aiohttp session under the process's httpx client."""

    def __init__(self, http: httpx.AsyncClient, auth: BodySigAuth) -> None:
        self._http = http
        self._auth = auth
        self._ways: dict[str, _Way] = {}

    def __repr__(self) -> str:
        return f"AiohttpPath({self._auth!r})"

    def way_for(self, url: str) -> _Way | None:
        """The way to *url* around httpx, or None when httpx must carry the call."""
        http = self._http
        if not isinstance(http, HttpxAiohttpClient) or http.is_closed:
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
        return way if transport.proxy is None else None

    async def post(self, way: _Way, body: bytes, *, seconds: float) -> AiohttpReply:
        """POST *body*, signed, to *way*; raise httpx's TransportError as httpx-aiohttp
        would (the same class, message and chain) for whatever goes wrong on the way."""
        http = self._http
        assert isinstance(http, HttpxAiohttpClient)  # noqa: S101  # way_for() checked it
        transport = http._transport
        assert isinstance(transport, AiohttpTransport)  # noqa: S101  # way_for() checked it
        http._state = ClientState.OPENED  # as httpx's send() marks it
        session = transport.client
        if not isinstance(session, aiohttp.ClientSession):
            session = transport.client = transport.get_client()  # as its first request does
        headers = dict(way.headers)
        headers["content-length"] = str(len(body))
        headers["authorization"] = self._auth.header(body)
        with map_aiohttp_exceptions():
            async with session.request(
                "POST",
                way.url_text,
                headers=headers,
                data=body,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                # httpx's Timeout(seconds) as httpx-aiohttp maps it.
                timeout=aiohttp.ClientTimeout(
                    sock_connect=seconds, sock_read=seconds, connect=seconds
                ),
            ) as response:  # released however _read ends: no connection stays checked out
                return await _read(http, way, response)


async def _read(
    http: httpx.AsyncClient, way: _Way, response: aiohttp.ClientResponse
) -> AiohttpReply:
    """The reply of *response*, its cookies kept and its line logged as httpx does (the
    caller releases it)."""
    raw_headers = tuple(response.raw_headers)
    names = {name.lower() for name, _ in raw_headers}
    if b"set-cookie" in names:
        request = httpx.Request("POST", way.url, headers=list(way.headers))
        http.cookies.extract_cookies(
            httpx.Response(response.status, headers=raw_headers, request=request)
        )
    if _httpx_log.isEnabledFor(logging.INFO):
        reason = response.reason.encode() if response.reason else None
        phrase = (
            reason.decode("ascii", errors="ignore")
            if reason is not None
            else httpx.codes.get_reason_phrase(response.status)
        )
        _httpx_log.info(
            'HTTP Request: %s %s "%s %d %s"', "POST", way.url, "HTTP/1.1", response.status, phrase
        )
    content = await response.read()
    if b"content-encoding" in names:  # httpx decodes what aiohttp was told to leave alone
        content = httpx.Response(response.status, headers=raw_headers, content=content).content
    return AiohttpReply(response.status, content, raw_headers)
