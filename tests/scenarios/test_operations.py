"""On-call: the metrics each lookup moves, /metrics itself, /qrinfo status and the Raw reply."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt.async_app import AsyncApp

from bot.kit.simulate import (
    DEMO_USER,
    interaction_body,
    signed_request,
    slash_command_body,
)
from bot.kit.sink import ResponseSink
from bot.service.metrics import OUTCOMES
from bot.slack.cards.blocks import RAW_REPLY_ACTION
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    SEED_TEXT,
    SIGNING_SECRET,
    WAIT,
    AppFactory,
    all_text,
    lookups,
    sample,
    served,
    sign,
)
from tests.slack.payloads import button_click

NO_BILL_TEXT = "898340149000005 31940000000000000000000000"
UNAVAILABLE_TEXT = "898340149000005 E5030000000000000000000001"
OPERATOR = "U0OPERATOR1"
ON_CALL_GROUP = "S0ONCALL01"


async def command(
    app: AsyncApp, sink: ResponseSink, text: str = SEED_TEXT, *, user: str = DEMO_USER
) -> dict[str, Any]:
    """Run /qrinfo as *user*; the message it answers with."""
    body = slash_command_body(text, response_url=sink.url(), user_id=user)
    response = await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    assert response.status == 200
    return (await sink.next(WAIT)).payload


def buttons(payload: dict[str, Any]) -> list[str]:
    """The action ids of every button on a message."""
    return [
        element["action_id"]
        for block in payload.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def raw_value(payload: dict[str, Any]) -> str:
    [value] = [
        element["value"]
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == RAW_REPLY_ACTION
    ]
    return str(value)


async def click_raw(app: AsyncApp, sink: ResponseSink, value: str, *, user: str) -> str:
    payload = button_click(RAW_REPLY_ACTION, value, response_url=sink.url())
    payload["user"] = payload["user"] | {"id": user}
    await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))
    return all_text((await sink.next(WAIT)).payload)


# --- metrics ------------------------------------------------------------------------------------


async def test_each_lookup_moves_its_counter_by_exactly_one_with_its_labels(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """found, a gateway code, unavailable, bad input: one count each, under the right labels."""
    app, services = make_app.build(chinaums_timeout=0.3)
    await command(app, sink)
    assert lookups(services) == {("command", "found"): 1}
    await command(app, sink, NO_BILL_TEXT)
    await command(app, sink, UNAVAILABLE_TEXT)
    await command(app, sink, "898340149000005 3194-bad")
    await command(app, sink)  # the seed again: reused, still a lookup
    assert lookups(services) == {
        ("command", "found"): 2,
        ("command", "rejected"): 1,
        ("command", "unavailable"): 1,
        ("command", "invalid"): 1,
    }
    assert sample(services, "qrinfo_gateway_rejections_total", code="NO_BILL") == 1
    # The reused answer made no call: three calls to the gateway, each timed under its outcome.
    calls = {
        outcome: sample(
            services,
            "qrinfo_gateway_call_duration_seconds_count",
            gateway="sandbox",
            outcome=outcome,
        )
        for outcome in OUTCOMES
    }
    assert {k: v for k, v in calls.items() if v} == {"found": 1, "rejected": 1, "unavailable": 1}
    assert sample(services, "qrinfo_lookup_duration_seconds_count", outcome="found") == 2


async def test_refusals_are_counted_by_reason(make_app: AppFactory, sink: ResponseSink) -> None:
    """Over the per-user limit: one rate refusal; not allowed: one access refusal."""
    app, services = make_app.build(qrinfo_user_rate=1)
    await command(app, sink)
    await command(app, sink)
    assert sample(services, "qrinfo_refusals_total", reason="rate") == 1
    assert sample(services, "qrinfo_refusals_total", reason="access") == 0
    assert lookups(services) == {("command", "found"): 1, ("command", "refused"): 1}
    locked, locked_services = make_app.build(qrinfo_allowed_users="U0SOMEONE1")
    await command(locked, sink)
    assert sample(locked_services, "qrinfo_refusals_total", reason="access") == 1


@pytest.mark.parametrize(
    "accept",
    ["application/openmetrics-text; version=abc", "application/openmetrics-text; version=1.x"],
)
async def test_metrics_asked_for_a_format_version_that_is_no_version_answer_in_the_default(
    make_app: AppFactory, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone who reaches the port may send any Accept header: never a 500 and a traceback,
    the Prometheus text format instead."""
    app, services = make_app.build()
    async with (
        served(app, metrics=services.metrics) as (url, _server),
        aiohttp.ClientSession() as session,
        session.get(f"{url}/metrics", headers={"Accept": accept}) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_metrics_endpoint_parses_and_counts_acks_through_the_front_door(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """GET /metrics is Prometheus text that its own parser reads; the door timed each ack."""
    app, services = make_app.build()
    async with (
        served(app, metrics=services.metrics) as (url, _server),
        aiohttp.ClientSession() as session,
    ):
        for _ in range(2):
            body = slash_command_body(SEED_TEXT, response_url=sink.url()).encode()
            headers = sign(body) | {"Content-Type": "application/x-www-form-urlencoded"}
            async with session.post(f"{url}/slack/events", data=body, headers=headers) as response:
                assert response.status == 200
            await sink.next(WAIT)
        await make_app.settled()
        async with session.get(f"{url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name in (
        "qrinfo_lookups",
        "qrinfo_lookup_duration_seconds",
        "qrinfo_gateway_call_duration_seconds",
        "qrinfo_ack_duration_seconds",
        "qrinfo_lookups_in_flight",
        "qrinfo_gateway_calls_in_flight",
        "qrinfo_gateway_circuit_state",
        "qrinfo_gateway_token_requests",
        "qrinfo_gateway_token_expires_in_seconds",
        "qrinfo_refusals",
        "qrinfo_slack_replies_failed",
        "qrinfo_audit_lines_lost",
        "qrinfo_build_info",
    ):
        assert name in families, name
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in families.values()
        for s in family.samples
    }
    assert values[("qrinfo_ack_duration_seconds_count", ())] == 2
    assert values[("qrinfo_lookups_total", (("action", "command"), ("outcome", "found")))] == 2
    assert values[("qrinfo_gateway_circuit_state", (("gateway", "sandbox"),))] == 0
    assert values[("qrinfo_lookups_in_flight", ())] == 0


async def test_a_spent_response_url_is_counted_as_a_reply_slack_refused(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Slack answers 404 used_url: the card is lost, and the metric says so."""
    app, services = make_app.build()
    sink.status = 404  # it answers expired_url, as Slack does for a spent one
    await command(app, sink)
    await make_app.settled()
    assert sample(services, "qrinfo_slack_replies_failed_total", via="response_url", reason="spent")
    assert lookups(services) == {("command", "found"): 1}


# --- /qrinfo status -----------------------------------------------------------------------------


async def test_status_refuses_someone_not_listed_and_sends_nothing_else(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app(qrinfo_operators=OPERATOR)
    said = all_text(await command(app, sink, "status"))
    assert "Only the bot's operators" in said
    assert "qrinfo status" not in said


async def test_status_with_no_operators_configured_refuses_everyone(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app()
    assert "Only the bot's operators" in all_text(await command(app, sink, "status"))


async def test_status_shows_the_gateway_and_the_last_minutes_to_an_operator(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """After a find and a NO_BILL: two lookups, half found, NO_BILL named, gateway times."""
    app = make_app(qrinfo_operators=OPERATOR)
    await command(app, sink, user=OPERATOR)
    await command(app, sink, NO_BILL_TEXT, user=OPERATOR)
    said = all_text(await command(app, sink, "status", user=OPERATOR))
    assert "qrinfo status" in said
    assert "SANDBOX" in said
    assert "body-sig" in said
    assert "closed" in said
    assert "2 lookups, 1 found (50 %)" in said
    assert "`NO_BILL` 1" in said
    assert "Gateway: 2 calls, p50" in said
    assert "0.1.0" in said or "not installed" in said


async def test_status_in_chinese_answers_to_its_chinese_word(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    slack_api.locales[OPERATOR] = "zh-CN"
    app = make_app(qrinfo_operators=OPERATOR)
    said = all_text(await command(app, sink, "状态", user=OPERATOR))
    assert "qrinfo 状态" in said
    assert "熔断器" in said


async def test_a_user_listed_through_a_group_is_an_operator(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    slack_api.usergroups[ON_CALL_GROUP] = ["U0SOMEONE1", OPERATOR]
    app = make_app(qrinfo_operators=ON_CALL_GROUP)
    assert "qrinfo status" in all_text(await command(app, sink, "status", user=OPERATOR))
    said = all_text(await command(app, sink, "status", user="U0OUTSIDER"))
    assert "Only the bot's operators" in said


# --- Raw reply ----------------------------------------------------------------------------------


async def test_only_an_operators_card_has_a_raw_reply_button(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app(qrinfo_operators=OPERATOR)
    assert RAW_REPLY_ACTION in buttons(await command(app, sink, user=OPERATOR))
    assert RAW_REPLY_ACTION not in buttons(await command(app, sink, user="U0OUTSIDER"))
    error_card = await command(app, sink, NO_BILL_TEXT, user=OPERATOR)
    assert RAW_REPLY_ACTION in buttons(error_card)


async def test_raw_reply_shows_the_gateways_reply_as_parsed_with_status_and_attempts(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app(qrinfo_operators=OPERATOR)
    msg_id = raw_value(await command(app, sink, user=OPERATOR))
    said = await click_raw(app, sink, msg_id, user=OPERATOR)
    assert f"msgId `{msg_id}`" in said
    assert "HTTP 200" in said
    assert "1. HTTP 200" in said  # the one attempt
    assert '\\"errCode\\": \\"SUCCESS\\"' in said  # the JSON, as the gateway sent it
    assert "测试商户" in said


async def test_raw_reply_of_a_failing_gateway_lists_every_attempt(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app(qrinfo_operators=OPERATOR, chinaums_timeout=0.3)
    msg_id = raw_value(await command(app, sink, UNAVAILABLE_TEXT, user=OPERATOR))
    said = await click_raw(app, sink, msg_id, user=OPERATOR)
    assert "1. HTTP 502" in said
    assert "2. HTTP 502" in said


async def test_raw_reply_refuses_a_click_from_someone_not_an_operator(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """The button is only drawn for operators, but a click can be forged: checked again."""
    app = make_app(qrinfo_operators=OPERATOR)
    msg_id = raw_value(await command(app, sink, user=OPERATOR))
    said = await click_raw(app, sink, msg_id, user="U0OUTSIDER")
    assert "Only the bot's operators" in said
    assert "测试商户" not in said


async def test_raw_reply_for_an_unknown_msg_id_says_it_is_no_longer_kept(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app = make_app(qrinfo_operators=OPERATOR)
    said = await click_raw(app, sink, "qri" + "0" * 32, user=OPERATOR)
    assert "no longer kept" in said


async def test_each_look_at_a_raw_reply_is_in_the_audit_trail(
    make_app: AppFactory, sink: ResponseSink, tmp_path: Path
) -> None:
    """It shows more of the merchant than the card: shown, and refused, each one line."""
    trail = tmp_path / "audit.jsonl"
    app, services = make_app.build(audit=trail, qrinfo_operators=OPERATOR)
    msg_id = raw_value(await command(app, sink, user=OPERATOR))
    await click_raw(app, sink, msg_id, user=OPERATOR)
    await click_raw(app, sink, msg_id, user="U0OUTSIDER")
    assert services.audit is not None
    services.audit.close()
    lines = [json.loads(line) for line in trail.read_text().splitlines()]
    looks = [(x["action"], x["user"], x["outcome"], x["msgId"]) for x in lines[1:]]
    assert looks == [
        ("raw_reply", OPERATOR, "shown", msg_id),
        ("raw_reply", "U0OUTSIDER", "refused", msg_id),
    ]
    assert lookups(services) == {("command", "found"): 1}  # a look is not a lookup
