"""Scenario tests: the Workflow Builder step lookup_qr_code, through signed function_executed
events to the real app behind its front door, ending on the fake Web API with the run's
outputs (functions.completeSuccess) or one line of error (functions.completeError), sent
with the token Slack gave the run."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp

from bot.kit.simulate import DEMO_CHANNEL, DEMO_TEAM
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from bot.service.services import Services
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import WAIT, AppFactory, served, sign
from tests.slack.payloads import RUN_TOKEN, step_run

MID = "898340149000005"
SEED = {"merchant_no": MID, "qr_code": "31942002268195125132885377"}
SUCCESS, ERROR = "functions.completeSuccess", "functions.completeError"
Ended = tuple[str, dict[str, Any]]


async def run_steps(app: AsyncApp, slack_api: FakeSlackApi, *runs: dict[str, Any]) -> list[Ended]:
    """Post each run's signed event through the front door, in turn; how each ended."""
    ended: list[Ended] = []
    async with served(app) as (url, _), aiohttp.ClientSession() as session:
        for body in runs:
            slack_api.run_tokens.add(body["event"]["bot_access_token"])
            raw = json.dumps(body).encode()
            headers = sign(raw) | {"Content-Type": "application/json"}
            async with session.post(url + "/slack/events", data=raw, headers=headers) as response:
                assert response.status == 200
            ended.append(await _ended(slack_api, body["event"]["function_execution_id"]))
    return ended


async def _ended(slack_api: FakeSlackApi, execution_id: str) -> Ended:
    def ends() -> list[Ended]:
        return [
            (name, args)
            for name, args in slack_api.calls
            if name in (SUCCESS, ERROR) and args.get("function_execution_id") == execution_id
        ]

    async with slack_api.called:
        await asyncio.wait_for(slack_api.called.wait_for(ends), WAIT)
    [end] = ends()
    return end


def audit_lines(path: Path, services: Services) -> list[dict[str, Any]]:
    assert services.audit is not None
    services.audit.close()  # flush the writer thread
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_a_found_code_completes_with_every_output_using_the_runs_token(
    make_app: AppFactory, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """The seed: found, its fields as data, paid; completeSuccess with the run's token, and
    an audit line with action workflow and the workflow's user."""
    app, services = make_app.build(audit=tmp_path / "audit.jsonl")
    [(name, args)] = await run_steps(app, slack_api, step_run(SEED))
    [line] = audit_lines(tmp_path / "audit.jsonl", services)
    assert name == SUCCESS
    assert json.loads(args["outputs"]) == {
        "found": True,
        "status": "found",
        "merchant_name": "测试商户",
        "amount": "0.02",
        "qr_url": "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
        "expires_at": "2030-02-26T13:51:25+08:00",
        "summary": "测试商户 · ¥0.02 · paid · expires 2030-02-26T13:51:25+08:00",
        "environment": "sandbox",
        "payment_status": "paid",
        "msg_id": line["msgId"],
    }
    assert slack_api.tokens == [(SUCCESS, RUN_TOKEN)]
    assert {k: line[k] for k in ("team", "user", "channel", "action", "outcome", "payment")} == {
        "team": DEMO_TEAM,
        "user": None,  # a run does not prove who ran the workflow
        "channel": None,
        "action": "workflow",
        "outcome": "found",
        "payment": "paid",
    }


async def test_a_code_the_provider_does_not_know_completes_with_found_false(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """NO_BILL is an answer, not a failure: found false, its code as the status."""
    run = step_run({"merchant_no": MID, "qr_code": "31940000000000000000000000"})
    [(name, args)] = await run_steps(make_app(), slack_api, run)
    outputs = json.loads(args["outputs"])
    assert name == SUCCESS
    assert outputs["msg_id"].startswith("qri")
    assert outputs | {"msg_id": ""} == {
        "found": False,
        "status": "NO_BILL",
        "merchant_name": "",
        "amount": "",
        "qr_url": "",
        "expires_at": "",
        "summary": outputs["summary"],
        "environment": "sandbox",
        "payment_status": "",
        "msg_id": "",
    }
    assert outputs["summary"].startswith("NO_BILL: ")


async def test_inputs_it_cannot_read_fail_the_run_saying_which(
    make_app: AppFactory, slack_api: FakeSlackApi, sandbox: Any
) -> None:
    """completeError names the input and what it should hold; nothing is sent."""
    run = step_run({"merchant_no": "12", "qr_code": "31942002268195125132885377"})
    [(name, args)] = await run_steps(make_app(), slack_api, run)
    assert (name, args["error"]) == (
        ERROR,
        "The step's inputs cannot be read: merchant_no: Expected a merchant number of 8 to 15 "
        "letters or digits (usually 15 digits), for example 898340149000005.",
    )
    assert slack_api.tokens == [(ERROR, RUN_TOKEN)]
    assert sandbox.query_requests == 0


async def test_a_qr_url_goes_to_the_gateway_its_host_names(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """A test-environment URL asks the test gateway, which a production-only bot lacks."""
    app = make_app(
        chinaums_env="prod",
        chinaums_base_url="https://prod.gateway.invalid",
        chinaums_app_id=SANDBOX_APP_ID,
        chinaums_app_key=SANDBOX_APP_KEY,
    )
    url = "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377"
    [(name, args)] = await run_steps(app, slack_api, step_run({"merchant_no": MID, "qr_code": url}))
    assert (name, args["error"]) == (ERROR, "qrinfo has no gateway for test configured.")


async def test_an_unavailable_gateway_fails_the_run_in_one_line(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """The gateway answers 502 until the deadline: completeError, one line, with the msgId."""
    run = step_run({"merchant_no": MID, "qr_code": "E5030000000000000000000001"})
    [(name, args)] = await run_steps(make_app(chinaums_timeout=0.3), slack_api, run)
    assert name == ERROR
    assert args["error"].startswith("The Chinaums gateway is unavailable: ")
    assert "(msgId qri" in args["error"]
    assert "\n" not in args["error"]


async def test_a_run_past_the_users_rate_limit_fails_saying_when_to_retry(
    make_app: AppFactory, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """Runs count against the workflow user's limit: the second of one a minute is refused."""
    app, services = make_app.build(
        audit=tmp_path / "audit.jsonl", qrinfo_user_rate=1, qrinfo_coalesce_seconds=0
    )
    first, second = step_run(SEED), step_run(SEED, execution_id="Fx0RUN000002")
    ended = await run_steps(app, slack_api, first, second)
    assert [name for name, _ in ended] == [SUCCESS, ERROR]
    assert ended[1][1]["error"] == (
        "Rate limit: this user made 1 lookup in the last minute, the most allowed; "
        "try again in 60 s."
    )
    outcomes = [line["outcome"] for line in audit_lines(tmp_path / "audit.jsonl", services)]
    assert outcomes == ["found", "refused"]


@pytest.mark.parametrize(
    ("settings", "given", "ends"),
    [
        ({"qrinfo_allowed_users": "U0ALLOWED1"}, {}, ERROR),
        # An input naming an allowed user or channel proves nothing: still refused.
        ({"qrinfo_allowed_users": "U0ALLOWED1"}, {"user_id": "U0ALLOWED1"}, ERROR),
        ({"qrinfo_allowed_channels": DEMO_CHANNEL}, {"channel_id": DEMO_CHANNEL}, ERROR),
        ({"qrinfo_allowed_teams": "T0OTHER001"}, {}, ERROR),
        ({"qrinfo_allowed_teams": DEMO_TEAM}, {"user_id": "U0ANYONE01"}, SUCCESS),
    ],
    ids=["user-list", "user-named", "channel-named", "other-team", "team-allowed"],
)
async def test_the_allow_lists_apply_to_the_workflows_user_channel_and_team(
    make_app: AppFactory,
    slack_api: FakeSlackApi,
    settings: dict[str, str],
    given: dict[str, str],
    ends: str,
) -> None:
    """A run proves its workspace, not its user or channel: a workspace allow-list applies,
    and a user or channel allow-list refuses every run, whatever its inputs claim."""
    app = make_app(qrinfo_access_hint="#payments-support", **settings)
    run = step_run({"merchant_no": MID, "qr_code": SEED["qr_code"]} | given)
    [(name, args)] = await run_steps(app, slack_api, run)
    assert name == ends
    if ends == ERROR:
        assert args["error"] == (
            "Not allowed: this workspace may not look up QR codes, or qrinfo allows only listed "
            "users or channels (a workflow run does not prove who ran it, nor where); "
            "ask in #payments-support."
        )


async def test_a_run_delivered_twice_is_looked_up_and_ended_once(
    make_app: AppFactory, slack_api: FakeSlackApi, sandbox: SandboxGateway
) -> None:
    """Slack retries a run it thinks went unacked (or someone replays it): one lookup, one
    end; the second delivery is a WARNING line, then nothing."""
    app = make_app()
    run = step_run(SEED, execution_id="Fx0TWICE0001")
    second = step_run(SEED | {"qr_code": "31942611251300010000000001"}, execution_id="Fx0TWICE0001")
    ended = await run_steps(app, slack_api, run, second)
    await make_app.settled()  # whatever the second delivery started has ended
    assert [name for name, _ in ended] == [SUCCESS, SUCCESS]  # the same one, found again
    assert [name for name, _ in slack_api.calls if name in (SUCCESS, ERROR)] == [SUCCESS]
    assert sandbox.query_requests == 1
