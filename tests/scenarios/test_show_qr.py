"""Show QR code: the code's image in the clicker's DM, drawn from a fresh lookup, never from
the button; every refusal and failure is one clear message to the clicker."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.gateway.ids import QrCodeRef
from bot.kit.simulate import DEMO_USER, interaction_body, signed_request
from bot.kit.sink import ResponseSink
from bot.sandbox.fixtures import FixtureCode
from bot.sandbox.gateway import SandboxGateway
from bot.service.services import Services
from bot.slack.cards.card import SHOW_QR_ACTION
from bot.slack.reading.button import encode_button_value
from tests.qr import decode_png
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SIGNING_SECRET, WAIT, AppFactory, all_text, run_command
from tests.slack.payloads import button_click

SEED = QrCodeRef("898340149000005", "31942002268195125132885377")
SEED_URL = "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377"
HTTP_CODE = QrCodeRef("898350148120555", "31942611251045330000889900")  # its URL is http://


async def click(app: AsyncApp, sink: ResponseSink, value: str) -> BoltResponse:
    """A signed Show QR code click with *value*, its response_url pointing at *sink*."""
    payload = button_click(SHOW_QR_ACTION, value, response_url=sink.url())
    return await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def replies_failed(services: Services, via: str, reason: str) -> float:
    value = services.metrics.registry.get_sample_value(
        "qrinfo_slack_replies_failed_total", {"via": via, "reason": reason}
    )
    return value or 0.0


async def test_the_found_card_has_show_qr_code_carrying_the_lookup_like_refresh(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Next to Open QR code; its value is Refresh's: the lookup, no URL."""
    await run_command(make_app(), f"{SEED.mid} {SEED.qr_code_id}", sink)
    card_buttons = buttons((await sink.next(WAIT)).payload)
    assert list(card_buttons)[:2] == ["open_qr", SHOW_QR_ACTION]
    assert card_buttons[SHOW_QR_ACTION]["text"]["text"] == "Show QR code"
    answered_by = replace(SEED, env="sandbox")  # the gateway that answered: asked again
    assert card_buttons[SHOW_QR_ACTION]["value"] == encode_button_value(answered_by)


async def test_a_code_whose_url_is_http_has_no_show_qr_code(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """The sandbox's legacy http:// code: no Open QR code, no Show QR code."""
    await run_command(make_app(), f"{HTTP_CODE.mid} {HTTP_CODE.qr_code_id}", sink)
    card_buttons = buttons((await sink.next(WAIT)).payload)
    assert SHOW_QR_ACTION not in card_buttons
    assert "open_qr" not in card_buttons


async def test_show_qr_code_uploads_the_png_to_the_clickers_dm(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi, sandbox: SandboxGateway
) -> None:
    """conversations.open for the clicker, the PNG to the upload URL, completed into that DM
    with a caption; the PNG decodes to exactly the gateway's QR URL."""
    app, services = make_app.build()
    response = await click(app, sink, encode_button_value(SEED))
    assert (response.status, response.body) == (200, "")
    [completed] = await slack_api.wait_for("files.completeUploadExternal")
    await make_app.settled()
    [opened] = slack_api.of("conversations.open")
    assert opened["users"] == DEMO_USER
    assert completed["channel_id"] == slack_api.dm_channel
    [asked] = slack_api.of("files.getUploadURLExternal")
    [(file_id, data)] = slack_api.uploads.items()
    assert int(asked["length"]) == len(data)
    assert json.loads(completed["files"])[0]["id"] == file_id
    assert decode_png(data) == [SEED_URL]
    caption = completed["initial_comment"]
    assert "\n" not in caption
    for expected in ("测试商户", "¥0.02", "expires <!date^1898315485^", "SANDBOX"):
        assert expected in caption, expected
    assert sink.count == 0  # nothing else said: the image is the answer
    assert sandbox.query_requests == 1
    assert replies_failed(services, "files.upload", "refused") == 0


async def test_a_recent_identical_answer_serves_and_the_click_is_audited_and_counted(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    sandbox: SandboxGateway,
    tmp_path: Path,
) -> None:
    """Right after the command, the click reuses its answer; one lookup audited and counted
    as show_qr, under the clicker."""
    app, services = make_app.build(audit=tmp_path / "audit.jsonl")
    await run_command(app, f"{SEED.mid} {SEED.qr_code_id}", sink)
    await sink.next(WAIT)
    await click(app, sink, encode_button_value(SEED))
    await slack_api.wait_for("files.completeUploadExternal")
    await make_app.settled()
    assert sandbox.query_requests == 1
    counted = services.metrics.registry.get_sample_value(
        "qrinfo_lookups_total", {"action": "show_qr", "outcome": "found"}
    )
    assert counted == 1
    assert services.audit is not None
    services.audit.close()  # flush the writer thread
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(line["action"], line["user"], line["outcome"]) for line in lines] == [
        ("command", DEMO_USER, "found"),
        ("show_qr", DEMO_USER, "found"),
    ]
    assert lines[1]["qrCodeId"] == SEED.qr_code_id


async def test_the_button_value_cannot_choose_the_url_drawn(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """A value with a URL of its own: ignored; the drawing is the gateway's URL."""
    value = json.dumps({"mid": SEED.mid, "qr": SEED.qr_code_id, "url": "https://evil.example/"})
    await click(make_app(), sink, value)
    await slack_api.wait_for("files.completeUploadExternal")
    [data] = slack_api.uploads.values()
    assert decode_png(data) == [SEED_URL]


@pytest.mark.parametrize(
    "value",
    ["not json", '{"mid":"898340149000005"}', '{"mid":"898340149000005","qr":"<!channel>"}'],
    ids=["not-json", "no-qr", "mention-in-qr"],
)
async def test_a_forged_button_value_is_refused_without_a_lookup_or_an_upload(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    sandbox: SandboxGateway,
    value: str,
) -> None:
    """Checked like typed input: a message beside the card, nothing asked, nothing drawn."""
    await click(make_app(), sink, value)
    told = (await sink.next(WAIT)).payload
    await make_app.settled()
    assert told["replace_original"] is False
    assert ":warning:" in all_text(told)
    assert "<!channel>" not in all_text(told)
    assert sandbox.query_requests == 0
    assert slack_api.of("conversations.open") == []
    assert slack_api.uploads == {}


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/48020000/31942611251045330000000001",
        "http://qr.95516.com/48020000/31942611251045330000000001",
    ],
    ids=["another-host", "http"],
)
async def test_a_stale_click_on_a_code_now_pointing_elsewhere_is_not_drawn(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    sandbox: SandboxGateway,
    caplog: pytest.LogCaptureFixture,
    url: str,
) -> None:
    """The gateway now answers a URL the bot does not draw: the clicker is told, nothing is
    uploaded, one log line."""
    qr_code_id = "31942611251045330000000001"
    reply = {"errCode": "SUCCESS", "mid": SEED.mid, "merName": "换了链接", "qrCodeUrl": url}
    sandbox.fixtures.codes[qr_code_id] = FixtureCode(qr_code_id, "test", reply)
    with caplog.at_level(logging.WARNING):
        await click(make_app(), sink, encode_button_value(QrCodeRef(SEED.mid, qr_code_id)))
        told = (await sink.next(WAIT)).payload
        await make_app.settled()
    assert told["replace_original"] is False
    assert "No QR image for this code" in all_text(told)
    assert "not an https URL on the provider's QR hosts" in all_text(told)
    assert slack_api.of("conversations.open") == []
    assert slack_api.uploads == {}
    assert [r.message for r in caplog.records if "not drawing" in r.message]


async def test_a_click_over_the_rate_limit_gets_the_refusal_card(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi, sandbox: SandboxGateway
) -> None:
    """One lookup a minute: after the command, the click is refused beside the card."""
    app = make_app(qrinfo_user_rate=1)
    await run_command(app, f"{SEED.mid} {SEED.qr_code_id}", sink)
    await sink.next(WAIT)
    await click(app, sink, encode_button_value(SEED))
    told = (await sink.next(WAIT)).payload
    await make_app.settled()
    assert told["replace_original"] is False
    assert told["response_type"] == "ephemeral"
    assert "You have made 1 lookup in the last minute" in all_text(told)
    assert slack_api.uploads == {}
    assert sandbox.query_requests == 1


async def test_a_code_the_gateway_no_longer_knows_gets_the_error_card_beside_the_card(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """NO_BILL: the error card, as a new message (the card stays), and nothing uploaded."""
    gone = QrCodeRef(SEED.mid, "31940000000000000000000000")
    await click(make_app(), sink, encode_button_value(gone))
    told = (await sink.next(WAIT)).payload
    await make_app.settled()
    assert told["replace_original"] is False
    assert "NO_BILL" in all_text(told)
    assert slack_api.uploads == {}


@pytest.mark.parametrize(
    ("failing", "via"),
    [
        ("conversations.open", "conversations.open"),
        ("files.getUploadURLExternal", "files.upload"),
        ("files.completeUploadExternal", "files.upload"),
    ],
)
async def test_slack_refusing_the_dm_or_the_upload_is_one_clear_message_counted(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
    failing: str,
    via: str,
) -> None:
    """missing_scope at any step: the clicker is told the bot may need reinstalling with
    files:write and im:write; one WARNING line; the failure counted; no traceback."""
    slack_api.errors[failing] = "missing_scope"
    app, services = make_app.build()
    with caplog.at_level(logging.WARNING):
        await click(app, sink, encode_button_value(SEED))
        told = (await sink.next(WAIT)).payload
        await make_app.settled()
    said = all_text(told)
    assert told["replace_original"] is False
    assert "could not be sent to your direct messages" in said
    assert "missing_scope" in said
    assert "files:write and im:write" in said
    assert sink.count == 1
    assert replies_failed(services, via, "refused") == 1
    [line] = [r for r in caplog.records if "could not send a file" in r.getMessage()]
    assert "missing_scope" in line.getMessage()
    assert not [r for r in caplog.records if r.exc_info]


async def test_an_upload_url_that_refuses_the_bytes_is_one_clear_message_counted(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """HTTP 500 from the upload URL (slack_sdk raises its own error): told, counted."""
    slack_api.upload_status = 500
    app, services = make_app.build()
    await click(app, sink, encode_button_value(SEED))
    said = all_text((await sink.next(WAIT)).payload)
    await make_app.settled()
    assert "could not be sent to your direct messages" in said
    assert slack_api.of("files.completeUploadExternal") == []
    assert replies_failed(services, "files.upload", "refused") == 1


@pytest.mark.parametrize(
    "method", ["conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal"]
)
async def test_an_ok_reply_without_what_the_next_step_needs_is_one_clear_message(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    """{"ok": true} and nothing else (no channel, no upload_url, no files): told, counted,
    no traceback."""
    slack_api.bare_ok.add(method)
    app, services = make_app.build()
    with caplog.at_level(logging.WARNING):
        await click(app, sink, encode_button_value(SEED))
        said = all_text((await sink.next(WAIT)).payload)
        await make_app.settled()
    assert "could not be sent to your direct messages" in said
    via = "conversations.open" if method == "conversations.open" else "files.upload"
    assert replies_failed(services, via, "refused") == 1
    assert not [r for r in caplog.records if r.exc_info]


async def test_slack_not_answering_is_one_clear_message_counted(
    make_app: AppFactory,
    sink: ResponseSink,
    slack_api: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """conversations.open never answers: cut off, the clicker told to try again, counted."""
    monkeypatch.setattr("bot.slack.webapi.direct.FILE_SECONDS", 0.2)
    slack_api.silent.add("conversations.open")
    app, services = make_app.build()
    await click(app, sink, encode_button_value(SEED))
    said = all_text((await sink.next(WAIT)).payload)
    await make_app.settled()
    assert "Slack did not answer; try again in a moment." in said
    assert replies_failed(services, "conversations.open", "unreachable") == 1


async def test_the_click_is_acked_before_any_lookup_or_upload(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """A gateway that hangs: the ack is back while the lookup still runs, nothing opened yet."""
    app, services = make_app.build(chinaums_timeout=0.5)
    hanging = encode_button_value(QrCodeRef(SEED.mid, "HANG0000000000000000000001"))
    response = await click(app, sink, hanging)
    assert response.status == 200
    assert len(services.inflight) == 1
    assert slack_api.of("conversations.open") == []
    told = (await sink.next(WAIT)).payload
    assert "did not give a usable answer" in all_text(told)


async def test_a_chinese_reader_gets_the_caption_and_the_notices_in_chinese(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """zh-CN: the caption says 过期时间 and 沙箱; a failure is explained in Chinese."""
    slack_api.locales[DEMO_USER] = "zh-CN"
    app = make_app()
    await click(app, sink, encode_button_value(SEED))
    [completed] = await slack_api.wait_for("files.completeUploadExternal")
    assert "过期时间 <!date^" in completed["initial_comment"]
    assert "沙箱" in completed["initial_comment"]
    [asked] = slack_api.of("files.getUploadURLExternal")
    assert asked["alt_txt"] == f"二维码 {SEED.qr_code_id}"
    slack_api.errors["conversations.open"] = "missing_scope"
    await click(app, sink, encode_button_value(SEED))
    said = all_text((await sink.next(WAIT)).payload)
    assert "二维码图片无法发到你的私信" in said
