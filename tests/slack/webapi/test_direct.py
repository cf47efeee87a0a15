"""Posting through the Web API to someone's DM with the bot: a card (chat.postMessage) and
a file (conversations.open, then the upload); a failure returned, logged and counted,
never raised. Against the fake Slack on loopback."""

from __future__ import annotations

import aiohttp
import pytest

from bot.service.metrics import Metrics
from bot.slack.cards.block_kit import mrkdwn, section
from bot.slack.cards.blocks import Card
from bot.slack.webapi.direct import (
    DmFile,
    NotSent,
    failed,
    send_card_to_dm,
    send_file_to_dm,
    web_api_call,
)
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import web_client

CARD = Card(text="fallback", blocks=[section(mrkdwn("*hi*"))])
FILE = DmFile(data=b"\x89PNG-bytes", filename="qr-1.png", title="QR", alt_text="QR", comment="c")


def failures(metrics: Metrics, via: str, reason: str) -> float:
    labels = {"via": via, "reason": reason}
    return metrics.registry.get_sample_value("qrinfo_slack_replies_failed_total", labels) or 0.0


async def test_a_card_goes_to_the_users_dm_by_their_user_id(slack_api: FakeSlackApi) -> None:
    assert await send_card_to_dm(web_client(slack_api), "U1", CARD, "qri1", Metrics()) is None
    [post] = slack_api.of("chat.postMessage")
    assert (post["channel"], post["text"]) == ("U1", "fallback")


async def test_a_card_slack_refuses_is_returned_counted_and_logged(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.errors["chat.postMessage"] = "not_in_channel"
    metrics = Metrics()
    sent = await send_card_to_dm(web_client(slack_api), "U1", CARD, "qri1", metrics)
    assert sent == NotSent("chat.postMessage", "refused", "not_in_channel")
    assert failures(metrics, "chat.postMessage", "refused") == 1
    assert "could not send a card to U1 msgId=qri1: chat.postMessage: not_in_channel" in caplog.text


async def test_any_web_api_failure_is_returned_not_raised() -> None:
    async def unreachable() -> None:
        raise aiohttp.ClientConnectionError("refused")

    metrics = Metrics()
    sent = await web_api_call("chat.postEphemeral", unreachable(), metrics=metrics, what="x")
    assert sent == NotSent("chat.postEphemeral", "unreachable")
    assert failures(metrics, "chat.postEphemeral", "unreachable") == 1


async def test_a_file_is_uploaded_into_the_dm_conversations_open_gives(
    slack_api: FakeSlackApi,
) -> None:
    sent = await send_file_to_dm(web_client(slack_api), "U1", FILE, msg_id="q", metrics=Metrics())
    assert sent is None
    assert slack_api.of("conversations.open")[0]["users"] == "U1"
    assert list(slack_api.uploads.values()) == [FILE.data]
    [done] = slack_api.of("files.completeUploadExternal")
    assert done["channel_id"] == slack_api.dm_channel


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("bare-open", NotSent("conversations.open", "refused", "no channel id")),
        ("open-refused", NotSent("conversations.open", "refused", "missing_scope")),
        ("upload-refused", NotSent("files.upload", "refused", "upload refused")),
        ("bare-upload-url", NotSent("files.upload", "refused", "unexpected reply")),
    ],
)
async def test_each_step_that_fails_is_named_and_counted(
    slack_api: FakeSlackApi, setup: str, expected: NotSent
) -> None:
    if setup == "bare-open":
        slack_api.bare_ok.add("conversations.open")
    elif setup == "open-refused":
        slack_api.errors["conversations.open"] = "missing_scope"
    elif setup == "upload-refused":
        slack_api.upload_status = 500
    else:
        slack_api.bare_ok.add("files.getUploadURLExternal")
    metrics = Metrics()
    sent = await send_file_to_dm(web_client(slack_api), "U1", FILE, msg_id="q", metrics=metrics)
    assert sent == expected
    assert failures(metrics, expected.via, "refused") == 1


def test_no_answer_is_unreachable_with_how_long_was_waited() -> None:
    failure, line = failed(TimeoutError(), "files.upload", seconds=30)
    assert failure == NotSent("files.upload", "unreachable")
    assert line == "cannot reach Slack at files.upload: no answer within 30 s"
