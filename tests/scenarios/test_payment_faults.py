"""Scenario tests: a bills/query that misbehaves never costs the QR lookups themselves — not
their token, not their breaker, not their card, not their deadline.

The QR calls go to the strict sandbox; bills/query replies are crafted in front of it.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date

import httpx
import pytest

from bot.gateway.bills import BillRef
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.service.payment import ask_payment
from tests.slack.blockkit import payload_problems
from tests.slack.helpers import AppFactory, all_text, ask

MID, QR = "898340149000005", "31942002268195125132885377"
SEED = f"{MID} {QR}"
BILLS = "/v1/netpay/bills/query"
PAID: dict[str, object] = {
    "errCode": "SUCCESS",
    "billStatus": "PAID",
    "billNo": "10A31689733046250",
}


@dataclass
class Crafted:
    """What bills/query answers instead of the sandbox (nothing set: the sandbox's own)."""

    body: dict[str, object] | None = None
    status: int = 200
    delay: asyncio.Event | None = None  # answer only once this is set
    paths: Counter[str] = field(default_factory=Counter)


class CraftingTransport(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: SandboxGateway, crafted: Crafted) -> None:
        self._sandbox = SandboxTransport(sandbox)
        self._crafted = crafted

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        crafted = self._crafted
        crafted.paths[request.url.path] += 1
        if request.url.path != BILLS or crafted.body is None:
            return await self._sandbox.handle_async_request(request)
        if crafted.delay is not None:
            await crafted.delay.wait()
        return httpx.Response(crafted.status, json=crafted.body, request=request)


@pytest.fixture
def crafted() -> Crafted:
    return Crafted()


@pytest.fixture
async def gateway_http(
    sandbox: SandboxGateway, crafted: Crafted
) -> AsyncIterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=CraftingTransport(sandbox, crafted))
    yield client
    await client.aclose()


async def test_a_refused_bills_query_in_token_mode_never_spends_a_new_token(
    make_app: AppFactory, sink: ResponseSink, crafted: Crafted
) -> None:
    """An appId not opened to bills/query (HTTP 412, a numeric code): the payment status is
    unavailable, the one token stays, and every QR lookup still works."""
    crafted.body, crafted.status = {"errCode": "1002", "errInfo": "no access to this API"}, 412
    app = make_app(chinaums_auth="token")
    for _ in range(12):
        said = all_text(await ask(app, sink, SEED))
        assert "测试商户" in said
        assert "Payment status unavailable" in said
    assert crafted.paths["/v1/token/access"] == 1
    assert crafted.paths[BILLS] == 12


async def test_payment_calls_cut_off_by_their_budget_never_pause_the_gateway(
    make_app: AppFactory, sink: ResponseSink, crafted: Crafted
) -> None:
    """Bills answers slower than CHINAUMS_PAYMENT_TIMEOUT, many at once: that is the bot's own
    short budget, not the gateway failing, so the breaker stays closed."""
    crafted.body, crafted.delay = PAID, asyncio.Event()
    app, services = make_app.build(chinaums_payment_timeout=0.05, qrinfo_breaker_failures=2)
    codes = [f"{MID} BNCH{n:022d}" for n in range(6)]  # six lookups, not one joined
    cards = await asyncio.gather(*(ask(app, sink, code) for code in codes))
    assert all("Payment status unavailable" in all_text(card) for card in cards)
    assert services.gateway.breaker.snapshot().state == "closed"
    crafted.delay.set()
    assert "*Paid*" in all_text(await ask(app, sink, SEED))


async def test_a_payment_call_waits_for_a_slot_no_longer_than_its_budget(
    make_app: AppFactory,
) -> None:
    """With every slot taken, the payment call gives up within its own budget (not half the
    lookup's deadline), so a lookup stays within the bounds a stop waits for."""
    _, services = make_app.build(chinaums_max_in_flight=1, chinaums_timeout=8)
    client = services.gateway
    bill = BillRef(MID, "00000001", "QRPAYDEFAULT", "10A31689733046250", date(2020, 2, 26))
    async with client.admission.call("holding the one slot"):
        payment = await ask_payment(client, bill, budget=0.05)
    assert payment.status == "unavailable"
    assert payment.problem is not None
    assert "no slot came free in 0.1 s" in payment.problem  # 0.05, to one decimal


@pytest.mark.parametrize(
    "body",
    [
        PAID | {"billPayment": {"buyerPayAmount": "1e5000", "targetSys": "x" * 10_000}},
        PAID | {"totalAmount": "1e5000", "billStatus": "`*<!channel>*`\n" * 500},
        PAID | {"billStatus": 7, "billNo": 12345, "errMsg": {"not": "text"}},
    ],
    ids=["huge-amount-and-wallet", "huge-status", "odd-types"],
)
async def test_a_garbled_bills_reply_still_gives_a_valid_card_on_replicas_too(
    make_app: AppFactory, sink: ResponseSink, crafted: Crafted, redis_url: str, body: object
) -> None:
    crafted.body = body  # type: ignore[assignment]
    payload = await ask(make_app(qrinfo_redis_url=redis_url), sink, SEED)
    assert payload_problems(payload) == []
    said = all_text(payload)
    assert "测试商户" in said
    assert "<!channel>" not in json.dumps(payload)
