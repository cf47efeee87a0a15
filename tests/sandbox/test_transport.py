"""The sandbox in the process as an httpx transport (bot/sandbox/transport.py): each request
handed to the gateway as sent (method, path, headers, body), its answer given back as is."""

from __future__ import annotations

import httpx

from bot.gateway.protocol import QUERY_PATH
from bot.gateway.signing import body_sig_header, header_timestamp
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from tests.sandbox.helpers import NOW, SEED_MID, Clock, RecordingSandbox, query_body


async def test_a_request_reaches_the_gateway_as_sent() -> None:
    sandbox = RecordingSandbox(wall_clock=Clock())
    body = query_body()
    async with httpx.AsyncClient(transport=SandboxTransport(sandbox)) as client:
        await client.post(
            "http://sandbox.invalid" + QUERY_PATH + "?ignored=1",
            content=body,
            headers={"Authorization": "OPEN-BODY-SIG nonsense"},
        )
    [(method, path, headers, seen)] = sandbox.seen
    assert (method, path, seen) == ("POST", QUERY_PATH, body)
    assert headers["authorization"] == "OPEN-BODY-SIG nonsense"


async def test_the_gateways_answer_comes_back_with_its_status_type_and_body() -> None:
    async with httpx.AsyncClient(transport=SandboxTransport()) as client:
        response = await client.post("http://sandbox.invalid/nowhere", content=b"{}")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["errCode"] == "NO_SERVICE"
    assert response.request.url.path == "/nowhere"


async def test_a_signed_lookup_through_the_transport_finds_the_seed() -> None:
    body = query_body()
    header = body_sig_header(
        app_id=SANDBOX_APP_ID,
        app_key=SANDBOX_APP_KEY,
        timestamp=header_timestamp(NOW),
        nonce="nonce-transport-1",
        body=body,
    )
    transport = SandboxTransport(SandboxGateway(wall_clock=Clock()))
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post(
            "http://sandbox.invalid" + QUERY_PATH, content=body, headers={"Authorization": header}
        )
    assert response.status_code == 200
    assert response.json()["mid"] == SEED_MID


def test_without_a_gateway_it_makes_its_own() -> None:
    transport = SandboxTransport()
    assert isinstance(transport.gateway, SandboxGateway)
    assert SandboxTransport(transport.gateway).gateway is transport.gateway
