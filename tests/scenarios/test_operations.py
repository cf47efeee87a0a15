"""On-call: the metrics each lookup moves, /metrics itself, /qrinfo status and the Raw reply."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt.async_app import AsyncApp

from bot.gateway.breaker import BreakerSnapshot
from bot.i18n import ENGLISH, LANGUAGES, Language
from bot.i18n.catalogue import translator
from bot.kit.simulate import (
    DEMO_USER,
    interaction_body,
    signed_request,
    slash_command_body,
)
from bot.kit.sink import ResponseSink
from bot.service.metrics import OUTCOMES, Metrics
from bot.service.raw import RawReply, reply_text
from bot.service.recent import RecentSummary
from bot.service.status import GatewayStatus, Status
from bot.slack.cards.blocks import RAW_REPLY_ACTION
from bot.slack.cards.ops import (
    RAW_SECTIONS,
    code_chunks,
    operators_only_card,
    raw_gone_card,
    raw_reply_card,
    status_card,
)
from tests.slack.blockkit import limit_problems, payload
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


def test_a_huge_raw_reply_is_clipped_within_block_kit_limits() -> None:
    """A reply of 40,000 characters: at most four code sections, and the card says so."""
    reply = {"errCode": "SUCCESS", "merName": "<!channel> ```" + "商" * 40_000}
    raw = RawReply("qri1", "sandbox", "found", datetime.now(UTC), 12.0, 200, *reply_text(reply), ())
    card = raw_reply_card(raw, ENGLISH)
    assert limit_problems(card) == []
    text = json.dumps(payload(card), ensure_ascii=False)
    assert "Clipped:" in text
    assert "<!channel>" not in text
    assert sum(1 for block in payload(card)["blocks"] if "```" in json.dumps(block)) <= RAW_SECTIONS


@pytest.mark.parametrize("fence", ["```", "````", "`````` x ``"])
def test_backticks_in_a_reply_never_close_its_code_block(fence: str) -> None:
    chunks, shown = code_chunks(f"a{fence}b & c", 2980, 4)
    assert shown == len(f"a{fence}b & c")
    assert "``" not in "".join(chunks)
    assert "&amp;" in chunks[0]


def test_a_reply_is_never_cut_inside_an_escaped_character() -> None:
    """Chunks end before an entity that would not fit, never inside it."""
    chunks, shown = code_chunks("x" * 9 + "&" * 10, 10, 4)
    assert chunks == ["x" * 9, "&amp;&amp;", "&amp;&amp;", "&amp;&amp;"]
    assert shown == 9 + 6


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


# --- the operators' cards, within Block Kit's limits in both languages -------------------------

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
MANY_CODES = {f"CODE_{i:03}_" + "X" * 40: i for i in range(60)} | {"unavailable": 7}


def status(**changes: Any) -> Status:
    """Two gateways (the second as *changes* say) and a bot with extreme numbers."""
    gateway = GatewayStatus(
        env="prod",
        gateway_url="https://api-mop.chinaums.com/" + "a" * 3000,
        auth="token",
        breaker=BreakerSnapshot("closed", None, 0.0, closed_since=NOW),
        token_expires_in=2760.0,
    )
    mine = {k: changes.pop(k) for k in ("auth", "breaker", "token_expires_in") if k in changes}
    base = Status(
        gateways=(gateway, replace(gateway, env="test", **mine)),
        recent=RecentSummary(15, 10**9, 10**8, MANY_CODES, 10**9, 123456.0, 9876543.0),
        version="0.1.0" * 100,
        uptime=10**9,
        now=NOW,
    )
    return replace(base, **changes)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "card",
    [
        lambda tr: status_card(status(), tr),
        lambda tr: status_card(
            status(breaker=BreakerSnapshot("open", NOW, 29.5, opened_at=NOW)), tr
        ),
        lambda tr: status_card(status(breaker=BreakerSnapshot("half-open", NOW, 0.0)), tr),
        lambda tr: status_card(status(auth="body-sig", token_expires_in=None), tr),
        lambda tr: status_card(status(token_expires_in=None), tr),
        lambda tr: status_card(status(token_expires_in=-5.0), tr),
        lambda tr: status_card(status(fleet="degraded"), tr),
        lambda tr: status_card(status(recent=RecentSummary(15, 0, 0, {}, 0, None, None)), tr),
        lambda tr: raw_reply_card(
            RawReply("qri1", "sandbox", "NO_BILL", NOW, 1.0, None, None, 0, ()), tr
        ),
        raw_gone_card,
        operators_only_card,
    ],
    ids=[
        "status",
        "status-open",
        "status-half-open",
        "status-body-sig",
        "status-no-token",
        "status-token-expired",
        "status-redis-lost",
        "status-quiet",
        "raw-nothing",
        "raw-gone",
        "refused",
    ],
)
def test_every_operator_card_stays_within_block_kit_limits(card: Any, language: Language) -> None:
    drawn = card(translator(language))
    assert limit_problems(drawn) == []


def test_metrics_are_drawn_at_most_once_a_second_whatever_the_scrapes() -> None:
    """A flood of scrapes costs one drawing a second; the next second shows what moved."""
    clock = FakeClock()
    metrics = Metrics(clock=clock)
    first, kind = metrics.exposition()
    metrics.lookup("command", "found", 0.1)
    assert metrics.exposition() == (first, kind)
    clock.now += 1.0
    assert metrics.exposition()[0] != first


def test_every_reply_failure_series_exists_from_the_start_at_zero() -> None:
    """So that rate() and increase() see the first failure (a new series starts unseen)."""
    text = Metrics().exposition()[0].decode()
    assert 'qrinfo_slack_replies_failed_total{reason="spent",via="response_url"} 0.0' in text
    assert 'qrinfo_refusals_total{reason="rate"} 0.0' in text


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_user_listed_through_a_group_gets_the_raw_reply_and_others_do_not(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    slack_api.usergroups[ON_CALL_GROUP] = ["U0SOMEONE1", OPERATOR]
    app = make_app(qrinfo_operators=ON_CALL_GROUP)
    msg_id = raw_value(await command(app, sink, user=OPERATOR))
    assert "HTTP 200" in await click_raw(app, sink, msg_id, user=OPERATOR)
    assert "Only the bot's operators" in await click_raw(app, sink, msg_id, user="U0OUTSIDER")
