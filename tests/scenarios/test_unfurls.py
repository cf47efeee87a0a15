"""Unfurls: a pasted QR link of the provider's gets a preview (its id, its environment, Look
up); other links are left alone; nothing is looked up; Look up opens the form filled in.

Every request goes over loopback HTTP through the front door to the real app, signed."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.kit.simulate import DEMO_CHANNEL, DEMO_TEAM, interaction_body
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.service.services import Services
from bot.slack.cards.unfurl import LOOK_UP_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import AppFactory, sample, served, sign
from tests.slack.payloads import MESSAGE_TS, UNFURL_ID, button_click, link_shared

TEST_URL = "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377"
PROD_URL = "https://qr.95516.com/48020000/31942611251045330000889900"
OTHER_URL = "https://example.com/bills/qrCode.do?id=31942002268195125132885377"
NOTE = "Look up asks for the merchant number: the link does not hold it."


class Slack:
    """The app behind its front door, and Slack's side of it: events and clicks, signed."""

    def __init__(self, url: str, session: aiohttp.ClientSession, services: Services) -> None:
        self.url = url
        self.session = session
        self.services = services

    async def post(self, body: bytes, content_type: str) -> tuple[int, str]:
        headers = sign(body) | {"Content-Type": content_type}
        async with self.session.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def event(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(json.dumps(payload).encode(), "application/json")

    async def click(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = interaction_body(payload).encode()
        return await self.post(body, "application/x-www-form-urlencoded")


@pytest.fixture
async def slack(make_app: AppFactory) -> AsyncIterator[Slack]:
    app, services = make_app.build()
    async with served(app) as (url, _), aiohttp.ClientSession() as session:
        yield Slack(url + "/slack/events", session, services)


def preview(url: str, qr_code_id: str, badge: str, host: str) -> dict[str, Any]:
    """The unfurl Slack is asked to show for *url*, written out as Slack gets it."""

    def text(value: str) -> dict[str, Any]:
        return {"type": "mrkdwn", "text": value, "verbatim": False}

    return {
        "blocks": [
            {
                "type": "section",
                "text": text(f"*Chinaums QR code* `{qr_code_id}`"),
                "accessory": {
                    "type": "button",
                    "action_id": LOOK_UP_ACTION,
                    "text": {"type": "plain_text", "text": "Look up", "emoji": True},
                    "value": url,
                },
            },
            {
                "type": "context",
                "elements": [text(badge), text(host), text(NOTE)],
            },
        ]
    }


def look_up_click(value: str, sink: ResponseSink) -> dict[str, Any]:
    """A click on an unfurl's Look up: a button in the message's attachment."""
    return button_click(LOOK_UP_ACTION, value, response_url=sink.url()) | {
        "container": {
            "type": "message_attachment",
            "message_ts": MESSAGE_TS,
            "attachment_id": 1,
            "channel_id": DEMO_CHANNEL,
            "is_ephemeral": False,
            "is_app_unfurl": True,
            "app_unfurl_url": value,
        }
    }


def opened_form(call: dict[str, Any]) -> dict[str, Any]:
    view = call["view"]
    return view if isinstance(view, dict) else json.loads(view)


async def test_a_test_and_a_production_link_unfurl_and_another_hosts_link_is_left_alone(
    slack: Slack, slack_api: FakeSlackApi, sandbox: SandboxGateway, make_app: AppFactory
) -> None:
    """One chat.unfurl for the message (channel and ts), a preview per QR link with its
    environment's badge; example.com's link is not in it; the gateway is never asked."""
    status, _ = await slack.event(link_shared([TEST_URL, OTHER_URL, PROD_URL]))
    assert status == 200
    [call] = await slack_api.wait_for("chat.unfurl")
    await make_app.settled()
    assert call == {
        "team_id": DEMO_TEAM,  # slack_sdk adds the workspace the event came from
        "channel": DEMO_CHANNEL,
        "ts": MESSAGE_TS,
        "unfurls": {
            TEST_URL: preview(
                TEST_URL,
                "31942002268195125132885377",
                ":construction: *TEST*",
                "qr-test2.chinaums.com",
            ),
            PROD_URL: preview(
                PROD_URL,
                "31942611251045330000889900",
                ":large_green_circle: *PROD*",
                "qr.95516.com",
            ),
        },
    }
    assert sandbox.query_requests == 0


async def test_a_link_still_in_the_composer_unfurls_by_its_unfurl_id_and_source(
    slack: Slack, slack_api: FakeSlackApi
) -> None:
    """source composer: unfurl_id and source name it, not channel and ts."""
    await slack.event(link_shared([PROD_URL], source="composer"))
    [call] = await slack_api.wait_for("chat.unfurl")
    assert {key: value for key, value in call.items() if key != "unfurls"} == {
        "team_id": DEMO_TEAM,
        "unfurl_id": UNFURL_ID,
        "source": "composer",
    }
    assert list(call["unfurls"]) == [PROD_URL]


async def test_a_message_with_only_other_links_is_not_unfurled(
    slack: Slack, slack_api: FakeSlackApi, make_app: AppFactory
) -> None:
    """No chat.unfurl for example.com's link, nor for a QR host's page that is no QR link;
    the next message's QR link is unfurled as usual."""
    not_a_code = "https://qr.chinaums.com/about.html"
    await slack.event(link_shared([OTHER_URL, not_a_code]))
    await slack.event(link_shared([TEST_URL]))
    await slack_api.wait_for("chat.unfurl")
    await make_app.settled()
    [call] = slack_api.of("chat.unfurl")
    assert list(call["unfurls"]) == [TEST_URL]


async def test_the_preview_is_in_the_channels_language(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """QRINFO_LANGUAGE=zh: the preview is in 中文, whoever pasted the link."""
    app = make_app(qrinfo_language="zh")
    async with served(app) as (url, _), aiohttp.ClientSession() as session:
        await Slack(url + "/slack/events", session, make_app.services[-1]).event(
            link_shared([TEST_URL])
        )
        [call] = await slack_api.wait_for("chat.unfurl")
    blocks = call["unfurls"][TEST_URL]["blocks"]
    assert blocks[0]["text"]["text"] == "*银联商务二维码* `31942002268195125132885377`"
    assert blocks[0]["accessory"]["text"]["text"] == "查询"


async def test_a_chat_unfurl_error_is_one_warning_and_a_count(
    slack: Slack,
    slack_api: FakeSlackApi,
    make_app: AppFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """cannot_unfurl_url: one WARNING naming it, no traceback, counted as a reply Slack
    refused via chat.unfurl."""
    slack_api.errors["chat.unfurl"] = "cannot_unfurl_url"
    await slack.event(link_shared([TEST_URL]))
    await slack_api.wait_for("chat.unfurl")
    await make_app.settled()
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in problems] == [
        "could not unfurl 1 QR link(s): chat.unfurl: cannot_unfurl_url"
    ]
    assert problems[0].exc_info is None
    refused = {"via": "chat.unfurl", "reason": "refused"}
    assert sample(slack.services, "qrinfo_slack_replies_failed_total", **refused) == 1


async def test_look_up_opens_the_form_with_the_link_filled_in(
    slack: Slack, slack_api: FakeSlackApi, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """views.open with the click's trigger_id: the QR field holds the link (its host keeps
    the environment), the merchant number is left to type, a note says why."""
    status, _ = await slack.click(look_up_click(TEST_URL, sink))
    assert status == 200
    [call] = await slack_api.wait_for("views.open")
    assert call["trigger_id"] == "1111.2222.trigger"
    view = opened_form(call)
    assert view["callback_id"] == FORM_CALLBACK
    values = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert values == {"mid": None, "qrCodeId": TEST_URL}
    assert "does not hold the merchant number" in json.dumps(view)
    assert sandbox.query_requests == 0
    assert sink.count == 0


async def test_look_up_with_a_value_that_is_no_qr_link_opens_the_form_empty(
    slack: Slack, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """A button's value is never trusted: anything but one of the provider's QR links fills
    nothing in, and the note says to type the id."""
    await slack.click(
        look_up_click("https://evil.example/bills/qrCode.do?id=31942002268195125132885377", sink)
    )
    [call] = await slack_api.wait_for("views.open")
    view = opened_form(call)
    assert all(
        b["element"].get("initial_value") is None for b in view["blocks"] if b["type"] == "input"
    )
    assert "carries no QR code the bot can read" in json.dumps(view)


async def test_slack_checking_the_events_url_gets_its_challenge_back(slack: Slack) -> None:
    """url_verification (HTTP mode, when the Request URL is saved): the challenge, echoed."""
    status, text = await slack.event(
        {
            "token": "legacy-unused",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    assert status == 200
    assert json.loads(text) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
