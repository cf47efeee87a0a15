"""Burst properties that need no clock: one token per burst, the cap, no reply lost.

The timing targets live in bench/run.py; these pin what must hold on any machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.config import load_settings
from bot.gateway.errors import GatewayBusy
from bot.gateway.transport import new_http_client
from bot.kit.simulate import signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.wiring import build_gateway
from tests.slack.helpers import SIGNING_SECRET, AppFactory


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until *condition* holds (a bound on loop turns, not on time)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


UNLIMITED = {"qrinfo_user_rate": 100_000, "qrinfo_workspace_rate": 100_000}


async def fire(make_app: AppFactory, sink: ResponseSink, n: int, **settings: object) -> None:
    """n signed commands at once, each for its own code and user (no coalescing); all acked."""
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


async def replies(sink: ResponseSink, n: int) -> list[str]:
    """The next n replies' texts, each to its own response_url."""
    deliveries = [await sink.next(10) for _ in range(n)]
    assert len({d.path for d in deliveries}) == n
    return [d.payload["text"] for d in deliveries]


async def burst(make_app: AppFactory, sink: ResponseSink, n: int, **settings: object) -> list[str]:
    """:func:`fire`, then the n replies."""
    await fire(make_app, sink, n, **settings)
    return await replies(sink, n)


@pytest.fixture
def slow_sandbox(sandbox: SandboxGateway) -> SandboxGateway:
    sandbox.set_faults(FaultConfig(latency_ms=30))
    return sandbox


async def test_a_burst_in_token_mode_makes_exactly_one_token_request(
    make_app: AppFactory, sink: ResponseSink, slow_sandbox: SandboxGateway
) -> None:
    """200 commands on a cold cache share one token request, and all find the code."""
    texts = await burst(make_app, sink, 200, chinaums_auth="token")
    assert slow_sandbox.token_requests == 1
    assert all(t.startswith("压测商户") for t in texts)


async def test_the_cap_on_gateway_calls_is_respected(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """CHINAUMS_MAX_IN_FLIGHT=5: with the gateway stalled, 5 calls reach it and 55 wait."""
    sandbox.hold()
    await fire(make_app, sink, 60, chinaums_max_in_flight=5)
    [client] = [services.gateway for services in make_app.services]
    await until(lambda: (sandbox.in_flight, client.admission.waiting) == (5, 55))
    sandbox.release()
    texts = await replies(sink, 60)
    assert sandbox.peak_in_flight == 5
    assert all(t.startswith("压测商户") for t in texts)


async def test_no_reply_is_lost_under_a_faulty_gateway(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """502s and truncated bodies on a third of calls: every command still gets a card."""
    sandbox.set_faults(FaultConfig(error_rate=0.25, malformed_rate=0.1, seed=11))
    texts = await burst(make_app, sink, 150, chinaums_timeout=2.0)
    assert len(texts) == 150
    assert all(t.startswith("压测商户") or "not answering" in t for t in texts)
    assert sandbox.query_requests > 150  # the failures were retried


async def test_lookups_beyond_the_cap_get_a_busy_card_not_a_pile_up(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Cap 2 and a stalled gateway: the six queued give up at half the deadline, told it is busy,
    before the two sent reach the deadline."""
    sandbox.hold()
    await fire(make_app, sink, 8, chinaums_max_in_flight=2, chinaums_timeout=0.6)
    texts = await replies(sink, 8)
    sandbox.release()
    assert ["gateway is busy" in t for t in texts] == [True] * 6 + [False] * 2
    assert all("not answering" in t for t in texts[6:])
    assert sandbox.peak_in_flight == 2


async def test_a_hopeless_queue_is_refused_at_once() -> None:
    """When recent calls show the queue cannot drain within the deadline, busy comes at once."""
    sandbox = SandboxGateway(faults=FaultConfig(latency_ms=300))
    http = new_http_client(transport=SandboxTransport(sandbox))
    client = build_gateway(load_settings(chinaums_max_in_flight=1, chinaums_timeout=1.0), http)
    seed = ("898340149000005", "31942002268195125132885377")
    try:
        await client.query_qrcode_info(*seed)  # teaches the client a call takes ~0.3 s
        queued = [asyncio.ensure_future(client.query_qrcode_info(*seed)) for _ in range(3)]
        await until(lambda: (client.admission.in_flight, client.admission.waiting) == (1, 2))
        # One holds the slot, two wait: with ours, four waves of 0.3 s, more than the 1 s deadline.
        with pytest.raises(GatewayBusy) as caught:
            await client.query_qrcode_info(*seed)
        assert caught.value.attempts == 0
        assert "too many waiting" in caught.value.reason
        await asyncio.gather(*queued, return_exceptions=True)
    finally:
        await http.aclose()
