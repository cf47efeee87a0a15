"""The process's one HTTP client (bot/gateway/transport.py): aiohttp underneath in production,
a given transport in tests, our User-Agent, and no redirects followed."""

from __future__ import annotations

import gc
import weakref

import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from bot.gateway.transport import USER_AGENT, new_http_client
from bot.kit.sink import ResponseSink
from bot.version import version


def test_the_user_agent_names_the_release_without_spaces() -> None:
    assert USER_AGENT.startswith("qrinfo/")
    assert " " not in USER_AGENT
    assert USER_AGENT in {"qrinfo/" + version(), "qrinfo/unknown"}


async def test_a_given_transport_carries_every_request_with_our_user_agent() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    async with new_http_client(httpx.MockTransport(answer)) as client:
        response = await client.post("https://gateway.test/q", content=b"{}")
    assert response.text == "ok"
    assert seen[0].headers["User-Agent"] == USER_AGENT


async def test_a_redirect_is_given_back_not_followed() -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/"})

    async with new_http_client(httpx.MockTransport(redirect)) as client:
        response = await client.post("https://gateway.test/q")
    assert response.status_code == 302


async def test_without_a_transport_it_rides_on_aiohttp() -> None:
    client = new_http_client(max_connections=7)
    assert isinstance(client, HttpxAiohttpClient)
    assert client.headers["User-Agent"] == USER_AGENT
    assert not client.follow_redirects
    await client.aclose()


async def test_its_own_connections_keep_to_its_aiohttp_sessions_limit_keep_alive_and_tls() -> None:
    """The connections the path around httpx uses (bot/gateway/on_http1.py) are set up as
    httpx-aiohttp sets up its session: the same limit and keep-alive, and httpx's TLS
    context (certifi's roots, SSL_CERT_FILE), not Python's default."""
    client = new_http_client(max_connections=7)
    transport = client._transport
    assert isinstance(transport, AiohttpTransport)
    http1 = client.connections  # type: ignore[attr-defined]
    assert (http1.limit, http1._keepalive) == (7, transport.limits.keepalive_expiry)
    assert http1._tls is transport.ssl_context
    await client.aclose()
    assert http1.closed


async def test_mounts_send_their_urls_to_their_own_transport() -> None:
    def sandbox(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="sandbox")

    client = new_http_client(mounts={"http://sandbox.invalid": httpx.MockTransport(sandbox)})
    response = await client.get("http://sandbox.invalid/anything")
    assert response.text == "sandbox"
    await client.aclose()


async def test_a_response_read_whole_is_freed_without_the_cyclic_collector() -> None:
    """A response read whole is not kept in a reference cycle with its stream: refcounting
    frees it (serve's collector runs rarely during a burst)."""
    client = new_http_client(httpx.MockTransport(lambda request: httpx.Response(200, text="ok")))
    response = await client.post("https://gateway.test/q", content=b"{}")
    gone = weakref.ref(response)
    assert response.text == "ok"
    gc.disable()
    try:
        del response
        assert gone() is None
    finally:
        gc.enable()
        await client.aclose()


async def test_a_streamed_response_still_streams_its_body() -> None:
    """Only a response read whole lets go of its stream; one sent with stream=True reads on."""
    client = new_http_client(httpx.MockTransport(lambda request: httpx.Response(200, text="ok")))
    request = client.build_request("GET", "https://gateway.test/q")
    response = await client.send(request, stream=True)
    assert [chunk async for chunk in response.aiter_bytes()] == [b"ok"]
    await response.aclose()
    await client.aclose()


async def test_on_aiohttp_a_response_read_whole_is_freed_without_the_cyclic_collector(
    sink: ResponseSink,
) -> None:
    """The same on the production client (aiohttp underneath), against a local server."""
    client = new_http_client()
    response = await client.post(sink.url("/r/1"), content=b"{}")
    gone = weakref.ref(response)
    assert (response.status_code, response.elapsed.total_seconds() > 0) == (200, True)
    gc.disable()
    try:
        del response
        assert gone() is None
    finally:
        gc.enable()
        await client.aclose()
