"""Scenario tests: signed /qrinfo requests through app.async_dispatch, replies at a local sink."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.gateway.models import QrCodeInfo
from bot.kit.simulate import interaction_body, signed_request
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from tests.slack.fakes import BOT_TOKEN
from tests.slack.helpers import SEED_TEXT, SIGNING_SECRET, AppFactory, all_text, run_command

REPLY_WAIT = 5.0


async def test_seed_lookup_acks_empty_and_replies_with_an_ephemeral_card(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """200 with an empty body, then one ephemeral card for the seed's code."""
    response = await run_command(make_app(), SEED_TEXT, sink)
    assert (response.status, response.body) == (200, "")
    delivery = await sink.next(REPLY_WAIT)
    payload = delivery.payload
    assert payload["response_type"] == "ephemeral"
    assert payload["text"].startswith("测试商户: ¥0.02")
    assert payload["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "测试商户", "emoji": False},
    }
    assert "鸡蛋 × 1 @ ¥0.01" in all_text(payload)
    assert sink.count == 1


@pytest.mark.parametrize("text", ["", "help", "  帮助 "], ids=["empty", "help", "chinese-help"])
async def test_no_arguments_or_help_gives_the_usage_card(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, text: str
) -> None:
    """The usage card shows the command form and an example; the gateway is not asked."""
    await run_command(make_app(), text, sink)
    payload = (await sink.next(REPLY_WAIT)).payload
    assert "/qrinfo 898340149000005 31942002268195125132885377" in all_text(payload)
    assert sandbox.query_requests == 0


@pytest.mark.parametrize(
    "text",
    [
        "898340149000005 3194-2002",
        "1 2 3",
        "898340149000005",
        "898340149000005 https://evil.example/x",
    ],
    ids=["bad-character", "too-many", "one-argument", "foreign-url"],
)
async def test_input_rejected_locally_explains_and_sends_nothing(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, text: str
) -> None:
    """A local rejection says what was expected, with an example, and never reaches the gateway."""
    await run_command(make_app(), text, sink)
    payload = (await sink.next(REPLY_WAIT)).payload
    said = all_text(payload)
    assert ":warning:" in said
    assert "for example" in said
    assert "nothing was sent to the gateway" in said
    assert sandbox.query_requests == 0


async def test_a_gateway_rejection_shows_code_meaning_and_next_step(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """NO_BILL: the code, a one-line explanation and what to do."""
    await run_command(make_app(), "898340149000005 31940000000000000000000000", sink)
    said = all_text((await sink.next(REPLY_WAIT)).payload)
    assert "NO_BILL" in said
    assert "No QR code with this id" in said
    assert "What to do" in said


async def test_an_unavailable_gateway_shows_attempts_and_time(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """A 502 every time: the card says so, with attempts and elapsed seconds."""
    await run_command(
        make_app(chinaums_timeout=0.3), "898340149000005 E5030000000000000000000001", sink
    )
    said = all_text((await sink.next(REPLY_WAIT)).payload)
    assert "did not give a usable answer" in said
    assert "HTTP 502" in said
    assert " attempts in " in said


async def test_an_auth_problem_tells_the_user_to_ask_the_operator_and_logs_the_detail(
    make_app: AppFactory, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """Wrong credentials: the user is pointed to the operator; the detail is in the log only."""
    caplog.set_level(logging.INFO)
    app = make_app(
        chinaums_env="test",
        chinaums_app_id="qrinfo-sandbox-app-0000000000000",
        chinaums_app_key="wrong-key",
        chinaums_base_url="http://sandbox.invalid",
    )
    await run_command(app, SEED_TEXT, sink)
    said = all_text((await sink.next(REPLY_WAIT)).payload)
    assert "tell the bot's operator" in said
    assert "1002" not in said
    assert any("1002" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


async def test_a_hanging_gateway_still_gets_a_fast_ack_then_the_timeout_card(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """The ack comes back while the gateway has not answered; the timeout card follows."""
    app, services = make_app.build(chinaums_timeout=0.5)
    response = await run_command(app, "898340149000005 HANG0000000000000000000001", sink)
    assert (response.status, response.body) == (200, "")
    assert (len(services.inflight), sink.count) == (1, 0)  # acked first, the lookup still running
    said = all_text((await sink.next(REPLY_WAIT)).payload)
    assert "did not give a usable answer" in said
    assert "no answer from the gateway at http://127.0.0.1:8700 within 0.5 s" in said


async def test_a_refused_reply_is_logged_with_the_msg_id(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """When the response_url answers 404 the failure is logged with the lookup's msgId."""
    caplog.set_level(logging.WARNING)
    async with ResponseSink(status=404) as refusing:
        await run_command(make_app(), SEED_TEXT, refusing)
        delivered = await refusing.next(REPLY_WAIT)
        await make_app.settled()  # the listener has seen the refusal and logged it
    warnings = [r.getMessage() for r in caplog.records if "refused by Slack" in r.getMessage()]
    assert warnings
    assert "msgId=qri" in warnings[0]
    assert delivered.payload["response_type"] == "ephemeral"


class ExplodingGateway:
    """A gateway client with a bug in it."""

    async def query_qrcode_info(
        self, mid: str, qr_code_id: str, *, msg_id: str | None = None
    ) -> QrCodeInfo:
        raise RuntimeError("boom")


async def test_an_unexpected_error_gets_an_apology_with_a_reference_and_a_logged_traceback(
    make_app: AppFactory, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """One error handler: a short apology quoting err-…, and the traceback in the log."""
    app = make_app(gateway=ExplodingGateway())
    response = await run_command(app, SEED_TEXT, sink)
    assert response.status == 200
    said = all_text((await sink.next(REPLY_WAIT)).payload)
    assert "Sorry, something went wrong" in said
    reference = said.split("quote `")[1].split("`")[0]
    assert reference.startswith("err-")
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


async def test_the_open_qr_button_click_is_acked(make_app: AppFactory, sink: ResponseSink) -> None:
    """A URL button still sends block_actions; the app acks it with 200 and replies nothing."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0QRINFO01"},
        "user": {"id": "U0QRINFO01"},
        "api_app_id": "A0QRINFO01",
        "container": {"type": "message"},
        "trigger_id": "1.2.3",
        "channel": {"id": "C0QRINFO01"},
        "response_url": sink.url(),
        "actions": [
            {"action_id": "open_qr", "block_id": "qr_actions", "type": "button", "action_ts": "1.0"}
        ],
    }
    body = interaction_body(payload)
    response = await make_app().async_dispatch(signed_request(body, SIGNING_SECRET))
    assert response.status == 200
    await make_app.settled()  # whatever the listener would post, it has posted
    assert sink.count == 0


async def test_no_secret_appears_in_the_logs_of_a_full_lookup(
    make_app: AppFactory, sink: ResponseSink, caplog: pytest.LogCaptureFixture
) -> None:
    """Signing secret, app key and bot token never reach a log record."""
    caplog.set_level(logging.DEBUG)
    app = make_app()
    await run_command(app, SEED_TEXT, sink)
    await sink.next(REPLY_WAIT)
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    for secret in (
        SIGNING_SECRET,
        "qrinfo-sandbox-key-0000000000000",
        BOT_TOKEN,  # the token the app under test really holds
    ):
        assert secret not in logged


async def test_building_the_app_with_slack_bot_token_set_logs_no_warning(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt's 'token will be ignored' notice is by design (authorize from auth.test): not logged."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.INFO)
    make_app()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
