"""The step's listener: every run ends (an unexpected error too, with a reference), Slack
refusing the end is logged, and a run of another step is left alone."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.kit.simulate import signed_headers
from bot.slack.listeners import workflow
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SIGNING_SECRET, WAIT, AppFactory
from tests.slack.payloads import RUN_TOKEN, step_run

INPUTS = {"merchant_no": "898340149000005", "qr_code": "31942002268195125132885377"}


async def dispatch(app: AsyncApp, slack_api: FakeSlackApi, body: dict[str, Any]) -> int:
    """A signed function_executed event straight to the app (the front door is tested apart)."""
    slack_api.run_tokens.add(body["event"]["bot_access_token"])
    raw = json.dumps(body)
    headers = signed_headers(raw, SIGNING_SECRET) | {"content-type": "application/json"}
    response = await app.async_dispatch(AsyncBoltRequest(body=raw, headers=dict(headers)))
    return response.status


async def test_an_unexpected_error_still_ends_the_run_with_a_reference(
    make_app: AppFactory,
    slack_api: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """completeError with the reference the log line carries, and no traceback sent."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(workflow, "look_up", broken)
    assert await dispatch(make_app(), slack_api, step_run(INPUTS)) == 200
    [ended] = await slack_api.wait_for("functions.completeError", wait=WAIT)
    [logged] = [r for r in caplog.records if r.getMessage().startswith("unexpected error")]
    reference = logged.getMessage().removeprefix("unexpected error ")
    assert ended["error"] == (
        f"qrinfo met an unexpected error (reference {reference}); "
        "its operator finds the details in its log."
    )
    assert slack_api.tokens == [("functions.completeError", RUN_TOKEN)]


async def test_slack_refusing_the_end_of_a_run_is_logged_not_raised(
    make_app: AppFactory, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.errors["functions.completeSuccess"] = "function_execution_not_found"
    assert await dispatch(make_app(), slack_api, step_run(INPUTS)) == 200
    await slack_api.wait_for("functions.completeSuccess", wait=WAIT)
    await make_app.settled()
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert messages == ["cannot end the workflow step's run: function_execution_not_found"]


async def test_a_run_of_another_step_is_acked_and_left_alone(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    assert await dispatch(make_app(), slack_api, step_run(INPUTS, callback_id="other")) == 200
    assert slack_api.calls == []  # Bolt found no listener: nothing ran after the ack
