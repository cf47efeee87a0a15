"""Who may look up, how often, the audit line of every outcome, the breaker, and shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from slack_bolt.async_app import AsyncApp

from bot.cli import main
from bot.config import load_settings
from bot.gateway.breaker import Breaker
from bot.gateway.errors import GatewayBreakerOpen, GatewayUnavailable
from bot.gateway.transport import new_http_client
from bot.kit.simulate import (
    DEMO_CHANNEL,
    DEMO_TEAM,
    DEMO_USER,
    signed_headers,
    signed_request,
    slash_command_body,
)
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.service.services import Services
from bot.slack.serving.http_server import HttpServer
from bot.wiring import build_gateway, health_report
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    SEED_TEXT,
    SIGNING_SECRET,
    WAIT,
    AppFactory,
    Clock,
    all_text,
    served,
)

# The fields the audit trail must carry, in order (the list, not the code's).
AUDIT_FIELDS = [
    "time",
    "team",
    "user",
    "channel",
    "action",
    "mid",
    "qrCodeId",
    "outcome",
    "msgId",
    "durationMs",
    "env",
    "payment",
]


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "qrinfo.jsonl"


@pytest.fixture
def guarded(make_app: AppFactory, audit_path: Path) -> Callable[..., tuple[AsyncApp, Services]]:
    """Apps with guardrail settings, auditing to a file."""

    def factory(**values: Any) -> tuple[AsyncApp, Services]:
        return make_app.build(audit=audit_path, **values)

    return factory


async def command(
    app: AsyncApp, sink: ResponseSink, text: str = SEED_TEXT, **who: str
) -> dict[str, Any]:
    body = slash_command_body(text, response_url=sink.url(), **who)
    response = await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    assert response.status == 200
    return (await sink.next(WAIT)).payload


def audit_lines(path: Path, services: Services) -> list[dict[str, Any]]:
    assert services.audit is not None
    services.audit.close()  # flush the writer thread
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "who"),
    [
        ({"qrinfo_allowed_channels": "C0ALLOWED1"}, {}),
        ({"qrinfo_allowed_users": "U0ALLOWED1"}, {}),
        ({"qrinfo_allowed_usergroups": "S0SUPPORT1"}, {}),
        ({"qrinfo_allowed_teams": "T0OTHER001"}, {}),
        ({"qrinfo_allowed_enterprises": "E0OURORG01"}, {"enterprise_id": "E0THEIRS01"}),
    ],
    ids=["channel", "user", "usergroup", "team", "enterprise"],
)
async def test_each_access_rule_refuses_with_a_hint_and_no_gateway_call(
    guarded: Any,
    sink: ResponseSink,
    sandbox: SandboxGateway,
    slack_api: FakeSlackApi,
    audit_path: Path,
    settings: dict[str, str],
    who: dict[str, str],
) -> None:
    """Outside the allowed set: the 'not allowed, ask in #…' card, nothing sent, audited refused."""
    slack_api.usergroups["S0SUPPORT1"] = ["U0SOMEONE1"]
    app, services = guarded(qrinfo_access_hint="#payments-support", **settings)
    said = all_text(await command(app, sink, **who))
    assert "You are not allowed to look up QR codes here; ask in #payments-support." in said
    assert sandbox.query_requests == 0
    [line] = audit_lines(audit_path, services)
    assert line["outcome"] == "refused"


@pytest.mark.parametrize(
    "settings",
    [
        {"qrinfo_allowed_channels": f"{DEMO_CHANNEL},C0OTHER001"},
        {"qrinfo_allowed_users": DEMO_USER},
        {"qrinfo_allowed_usergroups": "S0SUPPORT1"},
        {"qrinfo_allowed_teams": DEMO_TEAM},
    ],
    ids=["channel", "user", "usergroup", "team"],
)
async def test_each_access_rule_lets_its_members_through(
    guarded: Any, sink: ResponseSink, slack_api: FakeSlackApi, settings: dict[str, str]
) -> None:
    """Inside the allowed set the card comes as usual."""
    slack_api.usergroups["S0SUPPORT1"] = ["U0SOMEONE1", DEMO_USER]
    app, _ = guarded(**settings)
    payload = await command(app, sink)
    assert payload["text"].startswith("测试商户")


async def test_user_group_membership_is_cached(
    guarded: Any, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """Three lookups, one usergroups.users.list call."""
    slack_api.usergroups["S0SUPPORT1"] = [DEMO_USER]
    app, _ = guarded(qrinfo_allowed_usergroups="S0SUPPORT1")
    for _ in range(3):
        await command(app, sink)
    assert len(slack_api.of("usergroups.users.list")) == 1


async def test_an_unreadable_user_group_fails_closed(
    guarded: Any, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """When Slack will not list the group (missing scope, unknown group), nobody gets in."""
    app, _ = guarded(qrinfo_allowed_usergroups="S0MISSING1")
    assert "not allowed" in all_text(await command(app, sink))
    assert sandbox.query_requests == 0


async def test_a_group_slack_will_not_list_is_not_asked_for_again_on_every_lookup(
    guarded: Any, sink: ResponseSink, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """An operators' group Slack refuses (no usergroups:read): ten lookups by someone else,
    one usergroups.users.list call and one ERROR line, not ten."""
    app, _ = guarded(qrinfo_operators="S0MISSING1")
    for _ in range(10):
        await command(app, sink)
    assert len(slack_api.of("usergroups.users.list")) == 1
    assert len([r for r in caplog.records if "cannot read user group" in r.getMessage()]) == 1


async def test_the_hint_can_be_a_channel_id(guarded: Any, sink: ResponseSink) -> None:
    """A channel id hint renders as a channel link."""
    app, _ = guarded(qrinfo_allowed_users="U0ALLOWED1", qrinfo_access_hint="C0HELP0001")
    assert "ask in <#C0HELP0001>" in all_text(await command(app, sink))


# --- rate ---------------------------------------------------------------------------------


async def test_the_per_user_limit_refuses_and_says_when_to_try_again(
    guarded: Any, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Three a minute: the fourth is refused with a wait; another user still gets through."""
    app, _ = guarded(qrinfo_user_rate=3, qrinfo_coalesce_seconds=0)
    texts = [all_text(await command(app, sink, f"898340149000005 BNCH{i:022d}")) for i in range(4)]
    assert all("压测商户" in t for t in texts[:3])
    assert "You have made 3 lookups in the last minute. Try again in 20 s." in texts[3]
    other = await command(
        app, sink, "898340149000005 BNCH9999999999999999999999", user_id="U0OTHER001"
    )
    assert other["text"].startswith("压测商户")
    assert sandbox.query_requests == 4


async def test_the_workspace_limit_refuses_across_users(
    guarded: Any, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Workspace limit 2: the third lookup of the team is refused, whoever asks."""
    app, _ = guarded(qrinfo_workspace_rate=2, qrinfo_coalesce_seconds=0)
    texts = [
        all_text(await command(app, sink, f"898340149000005 BNCH{i:022d}", user_id=f"U0USER000{i}"))
        for i in range(3)
    ]
    assert "This workspace has made 2 lookups in the last minute" in texts[2]
    assert sandbox.query_requests == 2


# --- the audit trail -------------------------------------------------------------------------


async def test_every_outcome_writes_one_audit_line_without_card_content(
    guarded: Any, sink: ResponseSink, audit_path: Path
) -> None:
    """found, NO_BILL, unavailable, invalid, refused: one line each, the fields, no card text."""
    app, services = guarded(qrinfo_user_rate=4, chinaums_timeout=0.3)
    await command(app, sink)
    await command(app, sink, "898340149000005 31940000000000000000000000")
    await command(app, sink, "898340149000005 E5030000000000000000000001")
    await command(app, sink, "898340149000005 3194-bad")
    await command(app, sink, "898340149000005 BNCH0000000000000000000001")
    await command(app, sink, "898340149000005 BNCH0000000000000000000002")  # fifth: refused
    lines = audit_lines(audit_path, services)
    assert [line["outcome"] for line in lines] == [
        "found",
        "NO_BILL",
        "unavailable",
        "invalid",
        "found",
        "refused",
    ]
    first = lines[0]
    assert list(first) == AUDIT_FIELDS
    assert first["payment"] == "paid"  # the seed's bill, asked of bills/query
    assert (first["team"], first["user"], first["channel"], first["action"]) == (
        DEMO_TEAM,
        DEMO_USER,
        DEMO_CHANNEL,
        "command",
    )
    assert (first["mid"], first["qrCodeId"]) == ("898340149000005", "31942002268195125132885377")
    assert first["msgId"].startswith("qri")
    assert first["time"].endswith("Z")
    assert isinstance(first["durationMs"], int)
    assert "测试商户" not in json.dumps(lines, ensure_ascii=False)


def test_qrinfo_audit_prints_a_filtered_table(
    audit_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--user, --mid and --since select lines; the table has a header and one row per line."""
    audit_path.parent.mkdir(parents=True)
    rows = [
        {"time": "2026-11-25T10:00:00.000Z", "user": "U1", "mid": "898340149000005"},
        {"time": "2099-01-01T00:00:00.000Z", "user": "U1", "mid": "898340149000005"},
        {"time": "2099-01-01T00:00:00.000Z", "user": "U2", "mid": "898340149000005"},
    ]
    base = {
        "team": "T",
        "channel": "C",
        "action": "command",
        "qrCodeId": "q",
        "outcome": "found",
        "msgId": "m",
        "durationMs": 3,
    }
    audit_path.write_text("\n".join(json.dumps(base | r) for r in rows) + "\nnot json\n")
    monkeypatch.setenv("QRINFO_AUDIT_LOG", str(audit_path))
    assert main(["audit", "--user", "U1", "--since", "2h"]) == 0
    out = capsys.readouterr().out.splitlines()
    # The gateway's environment beside the action; lines from before it was recorded are read.
    assert out[0].split() == [
        *AUDIT_FIELDS[:5], "env", *AUDIT_FIELDS[5:8], "payment", *AUDIT_FIELDS[8:10]
    ]  # fmt: skip
    assert len(out) == 2
    assert "2099-01-01T00:00:00.000Z" in out[1]
    assert main(["audit", "--mid", "898340149000005"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_qrinfo_audit_explains_when_the_log_goes_to_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With QRINFO_AUDIT_LOG=- there is no file to read: exit 2 and say how to fix it."""
    assert main(["audit"]) == 2
    assert "set QRINFO_AUDIT_LOG to a file" in capsys.readouterr().err


# --- the circuit breaker ------------------------------------------------------------------


async def test_the_breaker_opens_after_repeated_failures_and_a_trial_closes_it(
    gateway_http: httpx.AsyncClient, sandbox: SandboxGateway
) -> None:
    """Two failures open it; lookups then fail at once; after the cool-down a trial closes it."""
    clock = Clock()
    breaker = Breaker(failures=2, cooldown=30, clock=clock, wall_clock=settings_now)
    client = build_gateway(load_settings(chinaums_timeout=0.3), gateway_http, breaker=breaker)
    broken = ("898340149000005", "E5030000000000000000000001")
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            await client.query_qrcode_info(*broken)
    asked = sandbox.query_requests
    with pytest.raises(GatewayBreakerOpen) as caught:
        await client.query_qrcode_info("898340149000005", "31942002268195125132885377")
    assert sandbox.query_requests == asked  # nothing was sent
    assert "has been failing since" in str(caught.value)
    assert client.breaker.snapshot().state == "open"
    clock.now += 31
    assert client.breaker.snapshot().state == "half-open"
    info = await client.query_qrcode_info("898340149000005", "31942002268195125132885377")
    assert info.err_code == "SUCCESS"
    assert client.breaker.snapshot().state == "closed"


def settings_now() -> datetime:
    return datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_a_failed_trial_opens_the_breaker_again() -> None:
    """Half-open lets one call through; its failure starts a new cool-down."""
    clock = Clock()
    breaker = Breaker(failures=1, cooldown=10, clock=clock, wall_clock=settings_now)
    breaker.failed()
    assert not breaker.admit()
    clock.now += 11
    assert breaker.admit()
    assert not breaker.admit()  # only one trial at a time
    breaker.failed()
    assert breaker.snapshot().state == "open"
    assert breaker.snapshot().retry_in == pytest.approx(10)


async def test_the_open_circuit_card_says_since_when_and_health_shows_it(
    guarded: Any, sink: ResponseSink
) -> None:
    """Users get 'failing since'; /healthz reports the circuit open."""
    app, services = guarded(
        chinaums_timeout=0.3, qrinfo_breaker_failures=1, qrinfo_coalesce_seconds=0
    )
    await command(app, sink, "898340149000005 E5030000000000000000000001")
    said = all_text(await command(app, sink))
    assert "The gateway has been failing since <!date^" in said
    report = health_report(services, mode="http", draining=False)
    assert report["gateway_circuit"] == "open"
    assert report["gateway_failing_since"]


# --- shutdown and secrets -------------------------------------------------------------------


async def test_a_shutdown_in_the_middle_of_a_burst_loses_no_reply(
    guarded: Any, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Stop while 30 lookups wait on a stalled gateway: all 30 replies arrive. While they
    drain, a new command gets 503 and /healthz says draining (503); then the port closes."""
    sandbox.hold()
    app, services = guarded(qrinfo_user_rate=1000, qrinfo_workspace_rate=1000)
    servers: list[HttpServer] = []

    async def health() -> dict[str, Any]:
        return {"ok": True, "draining": servers[0].draining}

    async with served(app, health) as (url, server), aiohttp.ClientSession() as session:
        servers.append(server)

        async def send(text: str, path: str) -> int:
            body = slash_command_body(text, response_url=sink.url(path))
            headers = signed_headers(body, SIGNING_SECRET)
            async with session.post(url + "/slack/events", data=body, headers=headers) as response:
                return response.status

        statuses = await asyncio.gather(
            *(send(f"898340149000005 BNCH{i:022d}", f"/r/{i}") for i in range(30))
        )
        assert statuses == [200] * 30
        assert (len(services.inflight), sink.count) == (30, 0)
        seen_while_draining: list[object] = []

        async def drain() -> bool:
            seen_while_draining.append(await send(SEED_TEXT, "/late"))
            async with session.get(url + "/healthz") as response:
                seen_while_draining.append((response.status, await response.json()))
            sandbox.release()  # the gateway recovers only once the server is draining
            drained: bool = await services.inflight.drain(WAIT)
            return drained

        await server.stop(drain)
        assert seen_while_draining == [503, (503, {"ok": True, "draining": True})]
        assert sink.count == 30  # and no reply to the refused command
        assert len(services.inflight) == 0
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.post(url + "/slack/events", data="x"):
                pass


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_secrets_reach_neither_the_logs_nor_the_audit_file(
    make_app: AppFactory,
    sink: ResponseSink,
    audit_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    auth: str,
) -> None:
    """A lookup the gateway accepts, with recognisable secrets: none in any log or audit line."""
    secrets = {
        "chinaums_app_key": "SECRET-APP-KEY-7f3a",
        "slack_signing_secret": "SECRET-SIGNING-9b2c",
        "slack_bot_token": "xoxb-SECRET-BOT-4d1e",
        "slack_app_token": "xapp-SECRET-APP-5e6f",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name.upper(), value)
    caplog.set_level(logging.DEBUG)
    # A sandbox that knows this app id and key, so the lookup really goes through.
    sandbox = SandboxGateway(apps={"secret-test-app": secrets["chinaums_app_key"]})
    settings = load_settings(
        chinaums_env="test",
        chinaums_base_url="http://gateway.test",
        chinaums_app_id="secret-test-app",
        chinaums_auth=auth,
    )
    async with new_http_client(transport=SandboxTransport(sandbox)) as http:
        app, services = make_app.build(
            build_gateway(settings, http),
            audit=audit_path,
            slack_signing_secret=secrets["slack_signing_secret"],
        )
        body = slash_command_body(SEED_TEXT, response_url=sink.url())
        await app.async_dispatch(signed_request(body, secrets["slack_signing_secret"]))
        payload = (await sink.next(WAIT)).payload
    assert payload["text"].startswith("测试商户")  # found: signed and accepted, token and all
    assert sandbox.query_requests == 1
    issued = sandbox.live_tokens()
    assert len(issued) == (1 if auth == "token" else 0)
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    audit = "\n".join(json.dumps(line) for line in audit_lines(audit_path, services))
    for value in [*secrets.values(), *issued]:
        assert value not in logged
        assert value not in audit
    assert "AccessToken=" not in logged  # no Authorization header value either
    assert 'Signature="' not in logged
