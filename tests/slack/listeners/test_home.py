"""The home tab's listeners (bot/slack/listeners/home.py): a Slack that will not publish is
one WARNING; a tampered Details value is refused without a reply (no response_url)."""

from __future__ import annotations

import logging

import pytest

from bot.slack.listeners.home import _details, publish_home
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import WHO, AppFactory, clicked_as


async def test_a_refused_publish_is_one_warning_never_raised(
    make_app: AppFactory, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    _, services = make_app.build()
    slack_api.errors["views.publish"] = "not_enabled"
    clicked = clicked_as(services, slack_api)
    await publish_home(services, clicked.reader, clicked.client, WHO)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"could not publish the home tab of {WHO.user_id}: views.publish: not_enabled"
    ]


async def test_a_tampered_details_value_looks_nothing_up_and_posts_nothing(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    _, services = make_app.build()
    body = {"actions": [{"action_id": "home_details", "value": "{not json"}]}
    await _details(clicked_as(services, slack_api), body, None, WHO)
    assert slack_api.calls == []
    assert await services.history.of(WHO.user_id or "", now=services.wall_clock()) == []
