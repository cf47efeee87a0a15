"""What a failed request to the gateway is called: real loopback sockets, the production client."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from bot.gateway.network import describe_transport_error, gateway_origin
from bot.gateway.transport import USER_AGENT, new_http_client
from bot.version import version
from tests.gateway.helpers import NoSuchHost, loopback_server

LIMIT = 0.2  # seconds: the request timeout where one matters


async def post(http: httpx.AsyncClient, url: str) -> httpx.TransportError:
    """POST to *url* and return the transport error it must end in."""
    with pytest.raises(httpx.TransportError) as caught:
        await http.post(url + "/v1/netpay/bills/query-qrcode-info", content=b"{}", timeout=LIMIT)
    return caught.value


def described(error: httpx.TransportError, url: str) -> str:
    return describe_transport_error(error, origin=gateway_origin(url), timeout=LIMIT)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = new_http_client()
    yield client
    await client.aclose()


async def test_a_refused_connection_is_called_refused_not_a_timeout(
    http: httpx.AsyncClient, refusing_url: str
) -> None:
    """httpx-aiohttp raises ConnectTimeout for ECONNREFUSED; the description says refused."""
    error = await post(http, refusing_url)
    assert isinstance(error, httpx.ConnectTimeout)  # the transport's label, which is wrong
    assert described(error, refusing_url) == (
        f"cannot reach the gateway at {refusing_url}: connection refused"
    )


async def test_a_connection_that_cannot_be_made_in_time_is_a_connect_timeout(
    http: httpx.AsyncClient, full_backlog_url: str
) -> None:
    """A connect that hangs past the limit says no connection within the limit."""
    error = await post(http, full_backlog_url)
    assert described(error, full_backlog_url) == (
        f"no connection to the gateway at {full_backlog_url} within 0.2 s"
    )


async def test_a_server_that_accepts_and_never_answers_is_a_read_timeout(
    http: httpx.AsyncClient,
) -> None:
    """Connected, request sent, nothing back: no answer within the limit."""
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    async with loopback_server(silent) as url:
        error = await post(http, url)
        release.set()
    assert described(error, url) == f"no answer from the gateway at {url} within 0.2 s"


async def test_a_server_that_hangs_up_after_the_request_is_called_so(
    http: httpx.AsyncClient,
) -> None:
    """A server that reads the request and closes says it closed the connection."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async with loopback_server(hang_up) as url:
        error = await post(http, url)
    assert described(error, url) == (
        f"the gateway at {url} closed the connection before a complete answer"
    )


async def test_a_reset_connection_is_called_reset(http: httpx.AsyncClient) -> None:
    """A server that answers the request with a TCP RST says connection reset."""

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # linger 0: close with RST, not FIN

    async with loopback_server(reset) as url:
        error = await post(http, url)
    assert described(error, url) == f"cannot reach the gateway at {url}: connection reset"


async def test_an_unknown_host_is_called_host_not_found() -> None:
    """A DNS failure in aiohttp's connector says host not found, not a timeout."""
    transport = AiohttpTransport(
        client=lambda: aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=NoSuchHost()))
    )
    async with HttpxAiohttpClient(transport=transport) as http:
        error = await post(http, "http://gateway.invalid")
    assert described(error, "http://gateway.invalid") == (
        "cannot reach the gateway at http://gateway.invalid: host not found"
    )


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://op:s3cret@gw.example:8443/prefix?key=1", "https://gw.example:8443"),
        ("http://[::1]:8080/x", "http://[::1]:8080"),
    ],
    ids=["credentials-path-query", "ipv6"],
)
def test_the_gateway_is_named_without_credentials_path_or_query(url: str, origin: str) -> None:
    """What messages name keeps scheme, host and port only."""
    assert gateway_origin(url) == origin


async def test_tls_to_a_server_that_does_not_speak_it_is_called_a_tls_failure(
    http: httpx.AsyncClient,
) -> None:
    """https:// to a plain-HTTP port: "TLS failed", not a crash (aiohttp TLS errors lack reason)."""

    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with loopback_server(plain_http) as url:
        tls_url = url.replace("http://", "https://")
        said = described(await post(http, tls_url), tls_url)
    assert said.startswith(f"cannot reach the gateway at {tls_url}: TLS failed (")


def test_the_gateway_is_told_the_installed_version() -> None:
    """The User-Agent names the release installed, as --version prints it."""
    assert f"qrinfo/{version()}" == USER_AGENT
    assert " " not in USER_AGENT
