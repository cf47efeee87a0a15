"""Contract tests: the real client, over real HTTP on loopback, against the sandbox."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from aiohttp.test_utils import TestServer

from bot.gateway.bills import BillRef
from bot.gateway.errors import GatewayRejected, GatewayUnavailable
from bot.gateway.transport import new_http_client
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app
from bot.sandbox.transport import SandboxTransport
from tests.sandbox.helpers import SEED_MID, SEED_QR, Clock, client_for


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> SandboxGateway:
    return SandboxGateway(wall_clock=clock)


@pytest.fixture
async def sandbox_url(sandbox: SandboxGateway) -> AsyncIterator[str]:
    server = TestServer(create_web_app(sandbox), host="127.0.0.1", port=0)
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = new_http_client()  # the production aiohttp transport
    yield client
    await client.aclose()


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_seed_lookup_over_loopback_http(
    sandbox_url: str, http: httpx.AsyncClient, clock: Clock, auth: str
) -> None:
    """The seed's code comes back whole over a real socket, with either auth scheme."""
    client = client_for(sandbox_url, http, clock, auth)
    info = await client.query_qrcode_info(SEED_MID, SEED_QR, msg_id="contract-1")
    assert info.mer_name == "测试商户"
    assert info.total_amount == 2
    assert info.goods[0].goods_name == "鸡蛋"
    assert info.msg_id == "contract-1"


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_many_lookups_never_trip_the_replay_or_token_limits(
    sandbox_url: str, sandbox: SandboxGateway, http: httpx.AsyncClient, clock: Clock, auth: str
) -> None:
    """Thirty lookups: fresh nonces every time, and (token mode) one token for all."""
    client = client_for(sandbox_url, http, clock, auth)
    for _ in range(30):
        await client.query_qrcode_info(SEED_MID, SEED_QR)
    assert sandbox.query_requests == 30
    assert sandbox.token_requests == (1 if auth == "token" else 0)


async def test_an_expired_token_is_refreshed_against_the_sandbox(
    sandbox_url: str, sandbox: SandboxGateway, http: httpx.AsyncClient, clock: Clock
) -> None:
    """When the sandbox has expired the token the client still caches, one refresh fixes it."""
    client = client_for(sandbox_url, http, clock, "token")
    await client.query_qrcode_info(SEED_MID, SEED_QR)
    clock.advance(hours=1, minutes=1)  # the sandbox's clock; the client's cache has not seen it
    info = await client.query_qrcode_info(SEED_MID, SEED_QR)
    assert info.err_code == "SUCCESS"
    assert sandbox.token_requests == 2


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_unknown_code_is_rejected_over_http(
    sandbox_url: str, http: httpx.AsyncClient, clock: Clock, auth: str
) -> None:
    """NO_BILL travels back as GatewayRejected."""
    client = client_for(sandbox_url, http, clock, auth)
    with pytest.raises(GatewayRejected) as caught:
        await client.query_qrcode_info(SEED_MID, "31940000000000000000000000")
    assert caught.value.code == "NO_BILL"


async def test_a_flaky_gateway_is_retried_to_success(
    sandbox_url: str, sandbox: SandboxGateway, http: httpx.AsyncClient, clock: Clock
) -> None:
    """The flaky code's 502 is retried and the second attempt succeeds."""
    client = client_for(sandbox_url, http, clock, "body-sig")
    info = await client.query_qrcode_info(SEED_MID, "FLAK0000000000000000000001")
    assert info.err_code == "SUCCESS"
    assert sandbox.query_requests == 2


async def test_a_hanging_gateway_is_cut_off_by_the_deadline_over_http(
    sandbox_url: str, http: httpx.AsyncClient, clock: Clock
) -> None:
    """A hung socket ends in GatewayUnavailable after a retry, within the deadline."""
    client = client_for(sandbox_url, http, clock, "body-sig", timeout=2.0)
    async with asyncio.timeout(30):  # a bound against a broken deadline, not a measurement
        with pytest.raises(GatewayUnavailable) as caught:
            await client.query_qrcode_info(SEED_MID, "HANG0000000000000000000001")
    assert caught.value.attempts == 2  # each attempt may take half the budget


async def test_the_in_process_transport_behaves_like_the_server(clock: Clock) -> None:
    """SandboxTransport (no socket) gives the same answer as the HTTP server."""
    http = new_http_client(transport=SandboxTransport(SandboxGateway(wall_clock=clock)))
    try:
        client = client_for("http://sandbox.invalid", http, clock, "token")
        info = await client.query_qrcode_info(SEED_MID, SEED_QR)
    finally:
        await http.aclose()
    assert info.mer_name == "测试商户"


# --- bills/query ------------------------------------------------------------------------------

HANGING_BILL_MID, HANGING_BILL_QR = "898530000011011", "31942611251300110000000011"


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_the_seeds_bill_is_paid_over_loopback_http(
    sandbox_url: str, sandbox: SandboxGateway, http: httpx.AsyncClient, clock: Clock, auth: str
) -> None:
    """The bill the seed's code names comes back PAID by Alipay, with either auth scheme, and
    (token mode) on the QR lookup's token."""
    client = client_for(sandbox_url, http, clock, auth)
    bill = BillRef.of(await client.query_qrcode_info(SEED_MID, SEED_QR))
    assert bill is not None
    info = await client.query_bill(bill, msg_id="contract-bill-1")
    assert info.state == "paid"
    assert info.bill_no == "10A31689733046250"
    assert info.bill_payment is not None
    assert info.bill_payment.target_sys == "Alipay 2.0"
    assert (sandbox.query_requests, sandbox.bill_requests) == (1, 1)
    assert sandbox.token_requests == (1 if auth == "token" else 0)


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_a_bill_asked_for_with_another_date_is_no_bill_over_http(
    sandbox_url: str, http: httpx.AsyncClient, clock: Clock, auth: str
) -> None:
    """The strict sandbox finds no bill for the right number on the wrong date."""
    client = client_for(sandbox_url, http, clock, auth)
    bill = BillRef.of(await client.query_qrcode_info(SEED_MID, SEED_QR))
    assert bill is not None
    with pytest.raises(GatewayRejected) as caught:
        await client.query_bill(dataclasses.replace(bill, bill_date=date(2020, 2, 27)))
    assert caught.value.code == "NO_BILL"


async def test_a_hanging_bills_query_is_cut_off_at_its_own_timeout_over_http(
    sandbox_url: str, http: httpx.AsyncClient, clock: Clock
) -> None:
    """The sandbox's hanging bill ends in GatewayUnavailable at the call's timeout."""
    client = client_for(sandbox_url, http, clock, "body-sig", timeout=5.0)
    bill = BillRef.of(await client.query_qrcode_info(HANGING_BILL_MID, HANGING_BILL_QR))
    assert bill is not None
    async with asyncio.timeout(30):
        with pytest.raises(GatewayUnavailable) as caught:
            await client.query_bill(bill, timeout=0.5)
    assert "within 0.5 s" in str(caught.value)
