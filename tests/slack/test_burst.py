"""Burst properties that need no clock: one token per burst, the cap, no reply lost.

The timing targets live in bench/run.py; these pin what must hold on any machine.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.config import load_settings
from bot.gateway.client import create_client, new_http_client
from bot.gateway.errors import GatewayBusy
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.slack.simulate import signed_request, slash_command_body
from bot.slack.sink import ResponseSink
from tests.slack.conftest import FAST, SIGNING_SECRET, AppFactory

UNLIMITED = {"qrinfo_user_rate": 100_000, "qrinfo_workspace_rate": 100_000}


async def burst(make_app: AppFactory, sink: ResponseSink, n: int, **settings: object) -> list[str]:
    """n signed commands at once, each for its own code (no coalescing); the n replies' texts."""
    app = make_app(**(UNLIMITED | settings))
    requests = [
        signed_request(
            slash_command_body(
                f"898340149000005 BNCH{i:022d}",
                response_url=sink.url(f"/r/{i}"),
                user_id=f"U{i:08d}",
            ),
            SIGNING_SECRET,
        )
        for i in range(n)
    ]
    responses = await asyncio.gather(*(app.async_dispatch(r) for r in requests))
    assert [r.status for r in responses] == [200] * n
    deliveries = [await sink.next(10) for _ in range(n)]
    assert len({d.path for d in deliveries}) == n
    return [d.payload["text"] for d in deliveries]


@pytest.fixture
def slow_sandbox(sandbox: SandboxGateway) -> SandboxGateway:
    sandbox.faults = type(sandbox.faults)(
        FaultConfig(latency_ms=30), by_code=sandbox.faults.by_code
    )
    return sandbox


async def test_a_burst_in_token_mode_makes_exactly_one_token_request(
    make_app: AppFactory, sink: ResponseSink, slow_sandbox: SandboxGateway
) -> None:
    """200 commands on a cold cache share one token request, and all find the code."""
    texts = await burst(make_app, sink, 200, chinaums_auth="token")
    assert slow_sandbox.token_requests == 1
    assert all(t.startswith("压测商户") for t in texts)


async def test_the_cap_on_gateway_calls_is_respected(
    make_app: AppFactory, sink: ResponseSink, slow_sandbox: SandboxGateway
) -> None:
    """CHINAUMS_MAX_IN_FLIGHT=5: the gateway never sees more than 5 at once; all get answers."""
    texts = await burst(make_app, sink, 60, chinaums_max_in_flight=5)
    assert slow_sandbox.peak_in_flight == 5
    assert all(t.startswith("压测商户") for t in texts)


async def test_no_reply_is_lost_under_a_faulty_gateway(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """502s and truncated bodies on a third of calls: every command still gets a card."""
    sandbox.faults = type(sandbox.faults)(
        FaultConfig(error_rate=0.25, malformed_rate=0.1, seed=11), by_code=sandbox.faults.by_code
    )
    texts = await burst(make_app, sink, 150, chinaums_timeout=2.0)
    assert len(texts) == 150
    assert all(t.startswith("压测商户") or "not answering" in t for t in texts)
    assert sandbox.query_requests > 150  # the failures were retried


async def test_lookups_beyond_the_cap_get_a_busy_card_not_a_pile_up(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Cap 2, a slow gateway and a short deadline: the rest are told the gateway is busy."""
    sandbox.faults = type(sandbox.faults)(
        FaultConfig(latency_ms=400), by_code=sandbox.faults.by_code
    )
    texts = await burst(make_app, sink, 8, chinaums_max_in_flight=2, chinaums_timeout=0.6)
    assert sum(t.startswith("压测商户") for t in texts) == 2
    assert sum("gateway is busy" in t for t in texts) == 6
    assert sandbox.peak_in_flight == 2


async def test_a_hopeless_queue_is_refused_at_once() -> None:
    """When recent calls show the queue cannot drain within the deadline, busy comes at once."""
    sandbox = SandboxGateway(faults=FaultConfig(latency_ms=300))
    http = new_http_client(transport=SandboxTransport(sandbox))
    client = create_client(
        load_settings(chinaums_max_in_flight=1, chinaums_timeout=1.0), http, backoff=FAST
    )
    seed = ("898340149000005", "31942002268195125132885377")
    try:
        await client.query_qrcode_info(*seed)  # teaches the client a call takes ~0.3 s
        queued = [asyncio.ensure_future(client.query_qrcode_info(*seed)) for _ in range(3)]
        await asyncio.sleep(0.05)  # one holds the slot, two wait: four waves of 0.3 s > 1 s
        with pytest.raises(GatewayBusy) as caught:
            await client.query_qrcode_info(*seed)
        assert caught.value.attempts == 0
        assert "too many waiting" in caught.value.reason
        await asyncio.gather(*queued, return_exceptions=True)
    finally:
        await http.aclose()


def test_the_default_cap_is_documented_and_sane() -> None:
    """The default allows a 1,000-command burst in two waves (see bench/run.py)."""
    assert load_settings().chinaums_max_in_flight == 512
    assert isinstance(new_http_client(), httpx.AsyncClient)
