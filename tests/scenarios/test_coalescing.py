"""Sharing identical lookups: one gateway call in flight; only definite answers kept after it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from slack_bolt.async_app import AsyncApp

from bot.gateway.breaker import Breaker
from bot.kit.simulate import interaction_body, signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.slack.cards.blocks import REFRESH_ACTION
from bot.slack.cards.card import SHARE_ACTION
from bot.slack.reading.button import encode_button_value
from tests.slack.helpers import SEED, SEED_TEXT, SIGNING_SECRET, WAIT, AppFactory, Clock, all_text
from tests.slack.payloads import button_click

ALWAYS_FAILING = FaultConfig(error_rate=1.0)


async def command(app: AsyncApp, sink: ResponseSink, text: str = SEED_TEXT, **who: str) -> str:
    """Run /qrinfo and return everything its card says."""
    body = slash_command_body(text, response_url=sink.url(), **who)
    response = await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    assert response.status == 200
    return all_text((await sink.next(WAIT)).payload)


async def click(app: AsyncApp, sink: ResponseSink, action_id: str) -> list[str]:
    """Click a button on the seed's card; every message it sends, as text."""
    payload = button_click(action_id, encode_button_value(SEED), response_url=sink.url())
    await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))
    count = 2 if action_id == SHARE_ACTION else 1  # Share: the post, then the private copy removed
    return [all_text((await sink.next(WAIT)).payload) for _ in range(count)]


class WallClock:
    """A settable wall clock for the cards' 'looked up' times."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


# --- through the app ------------------------------------------------------------------------


async def test_identical_lookups_at_once_share_one_gateway_call(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Ten people run the same command together: one gateway call, ten cards."""
    sandbox.set_faults(FaultConfig(latency_ms=50))
    app = make_app()
    bodies = [
        slash_command_body(SEED_TEXT, response_url=sink.url(f"/r/{i}"), user_id=f"U0PERSON{i:02d}")
        for i in range(10)
    ]
    await asyncio.gather(*(app.async_dispatch(signed_request(b, SIGNING_SECRET)) for b in bodies))
    payloads = [(await sink.next(WAIT)).payload for _ in range(10)]
    assert all(p["text"].startswith("测试商户") for p in payloads)
    assert sandbox.query_requests == 1


async def test_a_double_click_reuses_the_answer_and_says_how_old_it_is(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """The same lookup 3 s later, inside the window: no new call, and the card says '3 s ago'."""
    wall = WallClock()
    app, _ = make_app.build(wall_clock=wall, qrinfo_coalesce_seconds=300)
    first = await command(app, sink)
    wall.now += timedelta(seconds=3)
    second = await command(app, sink)
    answered = f"<!date^{int((wall.now - timedelta(seconds=3)).timestamp())}^"
    assert f"looked up {answered}" in first
    assert " ms" in first.split("looked up")[1]
    assert f"looked up 3 s ago ({answered}" in second
    assert sandbox.query_requests == 1


async def test_a_recovered_gateway_is_called_on_the_very_next_lookup_after_a_failure(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """'Not answering' is not kept: once the gateway is back, the next lookup finds the code."""
    app = make_app(qrinfo_coalesce_seconds=300)
    sandbox.set_faults(ALWAYS_FAILING)
    assert "did not give a usable answer" in await command(app, sink)
    failed_calls = sandbox.query_requests
    sandbox.set_faults(FaultConfig())
    assert "测试商户" in await command(app, sink)
    assert sandbox.query_requests == failed_calls + 1


@pytest.mark.parametrize("action_id", [REFRESH_ACTION, SHARE_ACTION], ids=["refresh", "share"])
async def test_refresh_and_share_right_after_a_lookup_reach_the_gateway(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, action_id: str
) -> None:
    """A click a moment after the lookup is a new gateway call, not the remembered answer."""
    app = make_app(qrinfo_coalesce_seconds=300)
    await command(app, sink)
    said = await click(app, sink, action_id)
    assert sandbox.query_requests == 2
    assert "测试商户" in said[0]
    assert " s ago" not in said[0]


async def test_the_breakers_trial_call_is_the_first_lookup_after_the_cool_down(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Whatever was asked during the pause, the first lookup after it is the trial; it heals."""
    clock = Clock()
    breaker = Breaker(failures=1, cooldown=30, clock=clock, wall_clock=WallClock())
    app, services = make_app.build(breaker=breaker, qrinfo_coalesce_seconds=300)
    sandbox.set_faults(ALWAYS_FAILING)
    assert "did not give a usable answer" in await command(app, sink)
    assert "paused" in await command(app, sink)  # the same code, during the cool-down
    sandbox.set_faults(FaultConfig())
    asked = sandbox.query_requests
    clock.now += 31
    assert "测试商户" in await command(app, sink)
    assert sandbox.query_requests == asked + 1
    assert services.gateway.breaker.snapshot().state == "closed"
