"""What a Web API failure means: Slack's own code (or the HTTP status), whether it is a
refusal that says something about the token, and one line on why Slack gave no answer."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from bot.slack.webapi.errors import error_code, refused_by_slack, unreachable
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import web_client


def api_error(status: int, data: Any) -> SlackApiError:
    response = SlackResponse(
        client=None, http_verb="POST", api_url="u", req_args={}, data=data, headers={},
        status_code=status,
    )  # fmt: skip
    return SlackApiError("failed", response)  # type: ignore[no-untyped-call]  # slack_sdk's own


async def test_slacks_own_error_code_is_read_from_a_real_refusal(slack_api: FakeSlackApi) -> None:
    slack_api.errors["chat.postMessage"] = "channel_not_found"
    with pytest.raises(SlackApiError) as caught:
        await web_client(slack_api).chat_postMessage(channel="C1", text="x")
    assert error_code(caught.value) == "channel_not_found"
    assert refused_by_slack(caught.value) == "channel_not_found"


def test_an_answer_without_slacks_json_is_named_by_its_status() -> None:
    assert error_code(api_error(502, "<html>")) == "HTTP 502"
    assert error_code(api_error(500, {"ok": False})) == "HTTP 500"


@pytest.mark.parametrize(
    ("status", "data"),
    [(200, {"error": "ratelimited"}), (503, {"error": "invalid_auth"}), (200, "<html>"),
     (200, {"error": ""})],
    ids=["transient-code", "server-error", "not-json", "empty-code"],
)  # fmt: skip
def test_what_says_nothing_about_the_token_is_not_a_refusal(status: int, data: Any) -> None:
    assert refused_by_slack(api_error(status, data)) is None


def test_why_slack_gave_no_answer_is_one_line_naming_where() -> None:
    url = "https://slack.com/api/auth.test"
    assert unreachable(api_error(503, {"error": "service_unavailable"}), url) == (
        f"Slack answered HTTP 503 (service_unavailable) at {url}"
    )
    assert unreachable(api_error(502, "<html>"), url) == (
        f"Slack answered HTTP 502 without its usual JSON at {url}"
    )
    assert unreachable(TimeoutError(), url, timeout=2.5) == (
        f"cannot reach Slack at {url}: no answer within 2.5 s"
    )
    said = unreachable(aiohttp.ClientConnectionError("refused"), url)
    assert said.startswith(f"cannot reach Slack at {url}: ")
    assert said != f"cannot reach Slack at {url}: "
