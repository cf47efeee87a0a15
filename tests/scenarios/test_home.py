"""The App Home tab through the real app: signed events and clicks, the view published for
each reader, their own lookups only, the gateways' state for operators, in their language;
the lookups kept in Redis across replicas."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp

from bot.kit.simulate import DEMO_USER, interaction_body, signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.slack.cards.home import HOME_DETAILS_ACTION, HOME_OPEN_FORM_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from bot.slack.reading.button import decode_button_value
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SEED, SEED_TEXT, SIGNING_SECRET, WAIT, AppFactory, served, sign
from tests.slack.payloads import home_click, home_opened

NO_BILL_TEXT = "898340149000005 31940000000000000000000000"
OTHER = "U0SOMEONE2"
OPERATOR = "U0OPERATOR1"


async def lookup(app: AsyncApp, sink: ResponseSink, text: str, user: str = DEMO_USER) -> None:
    body = slash_command_body(text, response_url=sink.url(), user_id=user)
    await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    await sink.next(WAIT)


async def open_home(
    app: AsyncApp, make_app: AppFactory, slack_api: FakeSlackApi, user: str = DEMO_USER
) -> dict[str, Any]:
    """*user* opens the home tab; the view the app published for them."""
    before = len(slack_api.of("views.publish"))
    raw = json.dumps(home_opened(user))  # a JSON body: Bolt reads it as such
    response = await app.async_dispatch(signed_request(raw, SIGNING_SECRET))
    assert response.status == 200
    # An event's listener runs after Bolt's own ack: wait for what it publishes.
    published = (await slack_api.wait_for("views.publish", before + 1, WAIT))[before:]
    await make_app.settled()
    assert [p["user_id"] for p in published] == [user]
    view = published[0]["view"]
    assert view["type"] == "home"
    return dict(view)


def lines(view: dict[str, Any]) -> list[tuple[str, str]]:
    """The recent lookups' lines: (text, the Details button's value)."""
    return [
        (block["text"]["text"], block["accessory"]["value"])
        for block in view["blocks"]
        if block.get("accessory", {}).get("action_id") == HOME_DETAILS_ACTION
    ]


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


async def test_a_new_user_opening_the_tab_through_the_front_door_sees_the_form_and_no_lookups(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """The JSON event passes the front door; the home says what the bot does, has the form's
    button, and lists nothing yet; no gateway state for someone who is not an operator."""
    app = make_app()
    body = json.dumps(home_opened()).encode()
    async with (
        served(app) as (url, _server),
        aiohttp.ClientSession() as session,
        session.post(
            f"{url}/slack/events",
            data=body,
            headers=sign(body) | {"Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 200
    [published] = await slack_api.wait_for("views.publish", 1, WAIT)
    await make_app.settled()
    view = published["view"]
    assert published["user_id"] == DEMO_USER
    assert "Chinaums" in text_of(view)
    buttons = [
        e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [HOME_OPEN_FORM_ACTION]
    assert "No lookups yet." in text_of(view)
    assert lines(view) == []
    assert "qrinfo status" not in text_of(view)


async def test_after_lookups_the_home_lists_them_newest_first_each_with_details(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """Found and not found, newest first: the amount and merchant, the gateway's code; each
    Details button carries its lookup."""
    app = make_app()
    await lookup(app, sink, SEED_TEXT)
    await lookup(app, sink, NO_BILL_TEXT)
    shown = lines(await open_home(app, make_app, slack_api))
    assert len(shown) == 2
    assert "`NO_BILL`" in shown[0][0]
    assert ":white_check_mark:" in shown[1][0]
    assert "¥" in shown[1][0]
    assert decode_button_value(shown[1][1]).qr_code_id == SEED.qr_code_id


async def test_another_user_sees_none_of_them(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """One person's lookups are theirs: another's home lists none of them."""
    app = make_app()
    await lookup(app, sink, SEED_TEXT)
    view = await open_home(app, make_app, slack_api, OTHER)
    assert lines(view) == []
    assert SEED.qr_code_id not in text_of(view)


async def test_an_operator_also_sees_the_gateways_state(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """QRINFO_OPERATORS: the status card's blocks under the list; nobody else gets them."""
    app = make_app(qrinfo_operators=OPERATOR)
    operator_view = text_of(await open_home(app, make_app, slack_api, OPERATOR))
    assert "qrinfo status" in operator_view
    assert "Breaker" in operator_view
    assert "qrinfo status" not in text_of(await open_home(app, make_app, slack_api))


async def test_a_chinese_reader_gets_the_home_in_chinese(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """A zh-CN Slack locale: the home tab in 中文, the lookups' lines too."""
    slack_api.locales[DEMO_USER] = "zh-CN"
    app = make_app()
    await lookup(app, sink, SEED_TEXT)
    view = text_of(await open_home(app, make_app, slack_api))
    assert "你最近的查询" in view
    assert "查询二维码" in view
    assert "Your recent lookups" not in view


async def test_refused_for_no_access_leaves_nothing_over_the_rate_limit_shows_refused(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """Someone not allowed leaves no trace in any home; an allowed one over the limit sees
    the refused lookup."""
    locked = make_app(qrinfo_allowed_users="U0SOMEONE1")
    await lookup(locked, sink, SEED_TEXT)
    assert lines(await open_home(locked, make_app, slack_api)) == []
    limited = make_app(qrinfo_user_rate=1)
    await lookup(limited, sink, SEED_TEXT)
    await lookup(limited, sink, NO_BILL_TEXT)
    shown = lines(await open_home(limited, make_app, slack_api))
    assert [":lock:" in text for text, _ in shown] == [True, False]


async def test_the_form_button_opens_the_lookup_form(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """Look up a QR code: views.open with the shortcut's form, on the click's trigger."""
    app = make_app()
    payload = home_click(HOME_OPEN_FORM_ACTION)
    response = await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))
    assert response.status == 200
    [opened] = await slack_api.wait_for("views.open")
    assert opened["trigger_id"] == payload["trigger_id"]
    assert opened["view"]["callback_id"] == FORM_CALLBACK


async def test_details_posts_the_full_card_to_the_dm_and_refreshes_the_home(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """A past lookup's Details: its card (no Share button) to the clicker's DM, then their
    home again with that lookup first."""
    app = make_app()
    await lookup(app, sink, SEED_TEXT)
    [(_, value)] = lines(await open_home(app, make_app, slack_api))
    payload = home_click(HOME_DETAILS_ACTION, value)
    await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))
    await make_app.settled()
    [posted] = slack_api.of("chat.postMessage")
    assert posted["channel"] == DEMO_USER
    assert SEED.qr_code_id in json.dumps(posted["blocks"])
    assert "share_card" not in json.dumps(posted["blocks"])
    republished = slack_api.of("views.publish")[-1]["view"]
    assert len(lines(republished)) == 2


async def test_the_messages_tab_publishes_nothing(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """app_home_opened for the Messages tab: acknowledged, nothing published (the home tab
    opened right after, by another, is the one published)."""
    app = make_app()
    raw = json.dumps(home_opened(tab="messages"))
    response = await app.async_dispatch(signed_request(raw, SIGNING_SECRET))
    assert response.status == 200
    await open_home(app, make_app, slack_api, OTHER)  # asserts the one publish is OTHER's


async def test_lookups_are_shared_by_replicas_through_redis(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink, redis_url: str
) -> None:
    """A lookup on one replica is in the home another replica draws; still only its owner's."""
    first = make_app(qrinfo_redis_url=redis_url)
    second = make_app(qrinfo_redis_url=redis_url)
    await lookup(first, sink, SEED_TEXT)
    shown = lines(await open_home(second, make_app, slack_api))
    assert len(shown) == 1
    assert decode_button_value(shown[0][1]).qr_code_id == SEED.qr_code_id
    assert lines(await open_home(second, make_app, slack_api, OTHER)) == []


@pytest.mark.parametrize(
    "value",
    ["", "x" * 5000, "{}", '{"mid":"<!channel>","qr":"1","env":"prod"}', "[1,2]", "null"],
    ids=["empty", "huge", "empty-object", "hostile", "list", "null"],
)
async def test_a_tampered_details_value_is_one_warning_line_and_nothing_else(
    make_app: AppFactory, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    """A home tab's click has no response_url: the refusal is logged once, nothing tries
    (and fails) to reply, and nothing is looked up."""
    caplog.set_level(logging.WARNING)
    app = make_app()
    body = home_click(HOME_DETAILS_ACTION, value)
    await app.async_dispatch(signed_request(interaction_body(body), SIGNING_SECRET))
    await make_app.settled()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "chat.postMessage" not in [name for name, _ in slack_api.calls]
