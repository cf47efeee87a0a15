"""The sandbox over HTTP (bot/sandbox/server.py): every path goes to the gateway as sent,
/healthz shows its counters, and ``serve_sandbox`` says where it listens; loopback, port 0."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway.protocol import BILLS_PATH, QUERY_PATH
from bot.gateway.signing import body_sig_header, header_timestamp
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app, serve_sandbox
from tests.sandbox.helpers import NOW, SEED_MID, Clock, RecordingSandbox, bills_body, query_body


@pytest.fixture
def sandbox() -> RecordingSandbox:
    return RecordingSandbox(wall_clock=Clock())


Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    sandbox: SandboxGateway,
) -> AsyncIterator[Client]:
    server = TestServer(create_web_app(sandbox), host="127.0.0.1", port=0)
    async with TestClient(server) as test_client:
        yield test_client


def signed_headers(body: bytes, nonce: str = "nonce-server-1") -> dict[str, str]:
    return {
        "Authorization": body_sig_header(
            app_id=SANDBOX_APP_ID,
            app_key=SANDBOX_APP_KEY,
            timestamp=header_timestamp(NOW),
            nonce=nonce,
            body=body,
        ),
        "Content-Type": "application/json",
    }


async def test_a_signed_query_is_answered_by_the_gateway_with_its_status_and_type(
    client: Client, sandbox: RecordingSandbox
) -> None:
    body = query_body()
    response = await client.post(QUERY_PATH, data=body, headers=signed_headers(body))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert (await response.json())["mid"] == SEED_MID
    [(method, path, headers, seen_body)] = sandbox.seen
    assert (method, path, seen_body) == ("POST", QUERY_PATH, body)
    assert headers["Authorization"] == signed_headers(body)["Authorization"]


async def test_any_other_path_is_the_gateways_to_refuse(
    client: Client,
) -> None:
    response = await client.post("/v2/something/else", data=b"{}")
    assert response.status == 404
    assert (await response.json())["errCode"] == "NO_SERVICE"


async def test_healthz_shows_the_gateways_counters(
    client: Client,
) -> None:
    body = query_body()
    await client.post(QUERY_PATH, data=body, headers=signed_headers(body))
    bill = bills_body()
    answer = await client.post(BILLS_PATH, data=bill, headers=signed_headers(bill, "nonce-2"))
    assert (await answer.json())["billStatus"] == "PAID"
    response = await client.get("/healthz")
    assert await response.json() == {
        "ok": True,
        "queries": 1,
        "billQueries": 1,
        "tokenRequests": 0,
        "inFlight": 0,
        "peakInFlight": 1,
    }


async def test_a_body_larger_than_64_kib_is_refused_before_the_gateway(
    client: Client, sandbox: RecordingSandbox
) -> None:
    response = await client.post(QUERY_PATH, data=b"x" * (64 * 1024 + 1))
    assert response.status == 413
    assert sandbox.seen == []


async def test_serving_says_where_it_listens_and_stops_when_cancelled() -> None:
    lines: list[str] = []
    sandbox = SandboxGateway(wall_clock=Clock())
    serving = asyncio.ensure_future(
        serve_sandbox(sandbox, host="127.0.0.1", port=0, announce=lines.append)
    )
    async with asyncio.timeout(5):  # only stops a broken server from hanging the suite
        while not lines and not serving.done():  # noqa: ASYNC110  # no event for "announced"
            await asyncio.sleep(0)
    [line] = lines
    assert line.startswith("sandbox gateway listening on http://127.0.0.1:")
    assert line.endswith(f"({sandbox!r})")
    url = line.split()[4]
    async with aiohttp.ClientSession() as session, session.get(url + "/healthz") as response:
        assert (await response.json())["ok"] is True
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    with pytest.raises(aiohttp.ClientConnectorError):
        async with aiohttp.ClientSession() as session, session.get(url + "/healthz"):
            pass
