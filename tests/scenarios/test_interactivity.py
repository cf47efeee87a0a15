"""Scenario tests for Share, Refresh and the lookup form, with signed interactivity payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.gateway.ids import QrCodeRef
from bot.kit.simulate import DEMO_USER, interaction_body, signed_request
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.cards.blocks import REFRESH_ACTION
from bot.slack.cards.card import SHARE_ACTION, SHOW_QR_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from bot.slack.listeners.shortcuts import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from bot.slack.reading.button import encode_button_value
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SEED_TEXT, SIGNING_SECRET, AppFactory, all_text, run_command
from tests.slack.payloads import button_click, global_shortcut, message_shortcut, view_submission

SEED = QrCodeRef("898340149000005", "31942002268195125132885377")
WAIT = 5.0


async def interact(app: AsyncApp, payload: dict[str, Any]) -> BoltResponse:
    body = interaction_body(payload)
    return await app.async_dispatch(signed_request(body, SIGNING_SECRET))


def buttons(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """action_id -> button, across the card's actions blocks."""
    return {
        element["action_id"]: element
        for block in payload["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def drain(sink: ResponseSink, count: int) -> list[dict[str, Any]]:
    return [(await sink.next(WAIT)).payload for _ in range(count)]


# --- the card's buttons --------------------------------------------------------------------


async def test_the_command_card_carries_refresh_and_share_with_the_lookup_in_their_value(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Open QR code, Show QR code, Refresh and Share in channel; the actions carry mid and
    qrCodeId."""
    await run_command(make_app(), SEED_TEXT, sink)
    card_buttons = buttons((await sink.next(WAIT)).payload)
    assert set(card_buttons) == {"open_qr", SHOW_QR_ACTION, REFRESH_ACTION, SHARE_ACTION}
    assert json.loads(card_buttons[SHARE_ACTION]["value"]) == {
        "mid": SEED.mid,
        "qr": SEED.qr_code_id,
        "env": "sandbox",  # the gateway that answered: Refresh and Share ask it again
    }


async def test_share_posts_the_card_in_channel_then_removes_the_private_one(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """The channel gets the card with 'shared by' and no Share button; then the ephemeral goes."""
    click = button_click(
        SHARE_ACTION, encode_button_value(SEED), response_url=sink.url("/action/1")
    )
    response = await interact(make_app(), click)
    assert response.status == 200
    posted, deleted = await drain(sink, 2)
    assert posted["response_type"] == "in_channel"
    assert posted.get("replace_original") is None
    assert f"shared by <@{DEMO_USER}>" in all_text(posted)
    assert "测试商户" in posted["text"]
    assert "*Paid*" in all_text(posted)  # the payment section, as on the private card
    assert set(buttons(posted)) == {"open_qr", SHOW_QR_ACTION, REFRESH_ACTION}
    assert json.loads(buttons(posted)[REFRESH_ACTION]["value"]) == {  # no one's name in it
        "mid": SEED.mid,
        "qr": SEED.qr_code_id,
        "env": "sandbox",
    }
    assert deleted == {"text": "", "delete_original": True}


async def test_a_failed_share_tells_the_user_and_keeps_the_card(
    make_app: AppFactory,
) -> None:
    """When Slack refuses the in-channel post, the user is told and nothing is deleted."""
    async with ResponseSink(refuse=lambda p: p.get("response_type") == "in_channel") as sink:
        click = button_click(SHARE_ACTION, encode_button_value(SEED), response_url=sink.url())
        await interact(make_app(), click)
        refused, told = await drain(sink, 2)
        await make_app.settled()
        assert sink.count == 2
    assert refused["response_type"] == "in_channel"
    assert told["response_type"] == "ephemeral"
    assert told["replace_original"] is False
    assert "could not be shared" in all_text(told)
    assert "404" in all_text(told)


async def test_when_the_response_url_is_dead_the_share_failure_goes_by_post_ephemeral(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """An expired response_url: the failure notice falls back to chat.postEphemeral."""
    async with ResponseSink(status=404) as sink:
        click = button_click(SHARE_ACTION, encode_button_value(SEED), response_url=sink.url())
        await interact(make_app(), click)
        await drain(sink, 2)
        [notice] = await slack_api.wait_for("chat.postEphemeral")
    assert (notice["channel"], notice["user"]) == ("C0QRINFO01", DEMO_USER)
    assert "could not be shared" in notice["text"]


async def test_share_does_not_post_a_failed_lookup(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """If the code cannot be fetched again, nothing is shared; the user is told."""
    gone = QrCodeRef(SEED.mid, "31940000000000000000000000")
    await interact(
        make_app(), button_click(SHARE_ACTION, encode_button_value(gone), response_url=sink.url())
    )
    [told] = await drain(sink, 1)
    assert told["response_type"] == "ephemeral"
    assert "could not be shared" in all_text(told)


async def test_refresh_replaces_the_card_with_a_fresh_lookup(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Refresh looks the code up again and replaces the card, saying 'refreshed'."""
    await interact(
        make_app(), button_click(REFRESH_ACTION, encode_button_value(SEED), response_url=sink.url())
    )
    [card] = await drain(sink, 1)
    assert card["replace_original"] is True
    assert card["response_type"] == "ephemeral"
    assert "refreshed <!date^" in all_text(card)
    assert sandbox.query_requests == 1


def in_channel_click(action_id: str, value: str, *, response_url: str) -> dict[str, Any]:
    """A click on a card that sits in the channel (shared), as Slack sends it."""
    click = button_click(action_id, value, response_url=response_url)
    click["container"]["is_ephemeral"] = False
    return click


async def test_refreshing_a_card_in_the_channel_keeps_it_there_credited_to_the_clicker(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Refresh on a channel card: it stays in the channel, 'refreshed … by' whoever clicked."""
    value = encode_button_value(SEED)
    await interact(make_app(), in_channel_click(REFRESH_ACTION, value, response_url=sink.url()))
    [card] = await drain(sink, 1)
    assert card["response_type"] == "in_channel"
    assert f"by <@{DEMO_USER}>" in all_text(card)
    assert SHARE_ACTION not in buttons(card)


FORGED = pytest.mark.parametrize("forged", ["U0IMPOSTOR", "<!here>"], ids=["a-user", "a-mention"])


def forged_value(forged: str) -> str:
    return json.dumps({"mid": SEED.mid, "qr": SEED.qr_code_id, "by": forged})


@FORGED
async def test_share_credits_the_clicker_whatever_the_value_says_shared_it(
    make_app: AppFactory, sink: ResponseSink, forged: str
) -> None:
    """A value's ``by`` is ignored: the card names the payload's user."""
    click = button_click(SHARE_ACTION, forged_value(forged), response_url=sink.url())
    await interact(make_app(), click)
    said = all_text((await sink.next(WAIT)).payload)
    assert forged not in said
    assert f"shared by <@{DEMO_USER}>" in said


@FORGED
async def test_refresh_keeps_a_private_card_private_whatever_the_value_says(
    make_app: AppFactory, sink: ResponseSink, forged: str
) -> None:
    """A value claiming a sharer neither broadcasts the card nor names anyone on it."""
    click = button_click(REFRESH_ACTION, forged_value(forged), response_url=sink.url())
    await interact(make_app(), click)
    card = (await sink.next(WAIT)).payload
    assert card["response_type"] == "ephemeral"
    assert "测试商户" in card["text"]
    assert forged not in all_text(card)


async def test_a_failed_refresh_shows_the_error_card_with_a_refresh_button(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """A refresh that fails replaces the card with the error and a way to try again."""
    failing = QrCodeRef(SEED.mid, "E5030000000000000000000001")
    app = make_app(chinaums_timeout=0.3)
    await interact(
        app, button_click(REFRESH_ACTION, encode_button_value(failing), response_url=sink.url())
    )
    [card] = await drain(sink, 1)
    assert card["replace_original"] is True
    assert "did not give a usable answer" in all_text(card)
    assert buttons(card)[REFRESH_ACTION]["text"]["text"] == "Refresh"


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        '{"mid":"898340149000005"}',
        '{"mid":"898340149000005","qr":"<!channel>"}',
        '["898340149000005","31942002268195125132885377"]',
    ],
    ids=["not-json", "no-qr", "mention-in-qr", "a-list"],
)
@pytest.mark.parametrize("action", [REFRESH_ACTION, SHARE_ACTION])
async def test_a_tampered_button_value_is_refused_without_a_gateway_call(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway, value: str, action: str
) -> None:
    """Button values are validated like user input: a bad one gets a message, nothing is sent."""
    await interact(make_app(), button_click(action, value, response_url=sink.url()))
    [told] = await drain(sink, 1)
    assert told["replace_original"] is False
    assert ":warning:" in all_text(told)
    assert "<!channel>" not in all_text(told)
    assert "<!here>" not in all_text(told)
    assert sandbox.query_requests == 0


@pytest.mark.parametrize("action", [REFRESH_ACTION, SHARE_ACTION])
async def test_buttons_are_acked_at_once_even_when_the_gateway_hangs(
    make_app: AppFactory, sink: ResponseSink, action: str
) -> None:
    """The ack comes back while the lookup still waits on a gateway that never answers."""
    hanging = encode_button_value(QrCodeRef(SEED.mid, "HANG0000000000000000000001"))
    app, services = make_app.build(chinaums_timeout=0.5)
    response = await interact(app, button_click(action, hanging, response_url=sink.url()))
    assert response.status == 200
    assert (len(services.inflight), sink.count) == (1, 0)  # acked first, the lookup still running
    [told] = await drain(sink, 1)
    expected = {REFRESH_ACTION: "did not give a usable answer", SHARE_ACTION: "could not be shared"}
    assert expected[action] in all_text(told)


# --- the lookup form ----------------------------------------------------------------------


async def test_the_global_shortcut_opens_the_form(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """views.open with the shortcut's trigger_id and the empty lookup form."""
    response = await interact(make_app(), global_shortcut(GLOBAL_SHORTCUT))
    assert response.status == 200
    [call] = await slack_api.wait_for("views.open")
    assert call["trigger_id"] == "1111.2222.trigger"
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    assert view["callback_id"] == FORM_CALLBACK
    assert [b["block_id"] for b in view["blocks"]] == ["mid", "qrCodeId"]
    assert all("initial_value" not in b["element"] for b in view["blocks"])


async def test_the_message_shortcut_prefills_the_form_from_the_message(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """A message with a QR URL and a merchant number opens the form with both filled in."""
    text = (
        "customer says <https://qr.95516.com/48020000/48021125093015000000123456|this code> "
        "fails, merchant 898310058120123"
    )
    await interact(make_app(), message_shortcut(MESSAGE_SHORTCUT, text, response_url=sink.url()))
    [call] = await slack_api.wait_for("views.open")
    view = call["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    values = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    # The URL whole: its host says which environment the code is from.
    url = "https://qr.95516.com/48020000/48021125093015000000123456"
    assert values == {"mid": "898310058120123", "qrCodeId": url}


async def test_the_message_shortcut_on_a_message_without_a_url_says_so(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """No URL in the message: the form opens empty with a note."""
    await interact(make_app(), message_shortcut(MESSAGE_SHORTCUT, "hello", response_url=sink.url()))
    [call] = await slack_api.wait_for("views.open")
    view = call["view"]
    assert "No QR code URL found" in json.dumps(view)


async def test_a_bad_submission_keeps_the_form_open_with_inline_errors(
    make_app: AppFactory, slack_api: FakeSlackApi, sandbox: SandboxGateway
) -> None:
    """response_action errors names each bad field; nothing is looked up or posted."""
    response = await interact(
        make_app(), view_submission(FORM_CALLBACK, "12-34", "https://evil.example/x")
    )
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"mid", "qrCodeId"}
    assert "898340149000005" in body["errors"]["mid"]
    assert "not a Chinaums QR code URL" in body["errors"]["qrCodeId"]
    await make_app.settled()
    assert sandbox.query_requests == 0
    assert slack_api.of("chat.postMessage") == []


async def test_a_good_submission_closes_the_form_and_sends_the_card_by_dm(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """An empty ack closes the modal; the card goes to the user's DM, with its buttons."""
    url = "https://qr.95516.com/48020000/31942002268195125132885377"
    response = await interact(make_app(), view_submission(FORM_CALLBACK, " 898340149000005 ", url))
    assert (response.status, response.body) == (200, "")
    [post] = await slack_api.wait_for("chat.postMessage")
    assert post["channel"] == DEMO_USER
    assert post["text"].startswith("测试商户")
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    # A DM has nobody to share with: no Share button.
    assert set(buttons({"blocks": blocks})) == {"open_qr", SHOW_QR_ACTION, REFRESH_ACTION}


async def test_the_form_is_acked_at_once_even_when_the_gateway_hangs(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """Submitting a hanging code closes the form while the lookup still runs; the DM follows."""
    app, services = make_app.build(chinaums_timeout=0.5)
    response = await interact(
        app, view_submission(FORM_CALLBACK, "898340149000005", "HANG0000000000000000000001")
    )
    assert response.status == 200
    assert len(services.inflight) == 1  # closed first, the lookup still running
    assert slack_api.of("chat.postMessage") == []
    [post] = await slack_api.wait_for("chat.postMessage")
    assert "did not give a usable answer" in json.dumps(post)
