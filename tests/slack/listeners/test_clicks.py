"""What every button that looks its code up again shares: where the clicked card is (a
channel, a DM, or unknown and so private), and the button's lookup read like user input."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.kit.sink import ResponseSink
from bot.slack.listeners.clicks import decode_click, in_channel, in_dm
from bot.slack.reading.button import encode_button_value
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SEED, WAIT, WHO, AppFactory, all_text, clicked_as, lookups


@pytest.mark.parametrize(
    ("container", "channel", "dm"),
    [
        ({"is_ephemeral": False, "channel_id": "C0ROOM0001"}, True, False),
        ({"is_ephemeral": True, "channel_id": "C0ROOM0001"}, False, False),
        ({"channel_id": "C0ROOM0001"}, False, False),
        ({"is_ephemeral": False, "channel_id": "D0DM000001"}, False, True),
        ({"is_ephemeral": "false", "channel_id": 5}, False, False),
        (None, False, False),
    ],
    ids=["channel-message", "ephemeral", "unknown", "dm", "malformed", "no-container"],
)
def test_where_the_clicked_card_is(container: Any, channel: bool, dm: bool) -> None:
    """Only a message known not to be ephemeral, outside a DM, is the channel's."""
    body = {} if container is None else {"container": container}
    assert (in_channel(body), in_dm(body)) == (channel, dm)


async def test_a_good_value_is_the_lookup_and_nothing_is_posted(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    _, services = make_app.build()
    respond = AsyncRespond(response_url=sink.url())
    action = {"value": encode_button_value(SEED)}
    assert await decode_click(action, respond, clicked_as(services, slack_api), WHO, "refresh") == (
        SEED
    )
    assert sink.count == 0


async def test_a_tampered_value_gets_the_input_error_beside_the_card_recorded_as_invalid(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    _, services = make_app.build()
    respond = AsyncRespond(response_url=sink.url())
    clicked = clicked_as(services, slack_api, "zh")
    ref = await decode_click({"value": "[]"}, respond, clicked, WHO, "share")
    assert ref is None
    posted = (await sink.next(WAIT)).payload
    assert posted["replace_original"] is False
    assert "nothing was sent" not in all_text(posted)  # said in the clicker's Chinese
    assert lookups(services) == {("share", "invalid"): 1.0}
