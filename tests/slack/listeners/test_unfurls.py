"""The unfurl listeners' edges: a click Slack gives no trigger_id, and a form Slack will not
open, are logged, never raised (the scenarios in tests/scenarios/test_unfurls.py drive the
rest through the real app)."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import ENGLISH
from bot.slack.cards.views import form_modal
from bot.slack.listeners.unfurls import _open
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import web_client


@pytest.mark.parametrize("trigger_id", [None, "", 7], ids=["none", "empty", "number"])
async def test_a_click_without_a_trigger_id_opens_nothing_and_says_so(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture, trigger_id: object
) -> None:
    """No views.open without a trigger_id: one WARNING instead."""
    await _open(web_client(slack_api), trigger_id, form_modal(ENGLISH))
    assert slack_api.of("views.open") == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "could not open the lookup form: the click carries no trigger_id"
    ]


async def test_a_form_slack_will_not_open_is_one_warning(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """expired_trigger_id: logged with Slack's code; nothing raised."""
    slack_api.errors["views.open"] = "expired_trigger_id"
    await _open(web_client(slack_api), "1111.2222.trigger", form_modal(ENGLISH))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "could not open the lookup form: expired_trigger_id"
    ]
