"""Share in channel, as the handler: a card in a DM has no channel to share in, and what
went wrong reaches the clicker, through the response_url or else chat.postEphemeral."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.gateway.ids import QrCodeRef
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.listeners.share import share
from bot.slack.reading.button import encode_button_value
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SEED, WAIT, WHO, AppFactory, all_text, clicked_as

ACTION = {"value": encode_button_value(SEED)}
IN_A_DM: dict[str, Any] = {"container": {"channel_id": "D0DM000001", "is_ephemeral": False}}


async def test_a_card_in_a_dm_is_not_shared_and_the_clicker_is_told_why(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    _, services = make_app.build()
    respond = AsyncRespond(response_url=sink.url())
    await share(clicked_as(services, slack_api), ACTION, IN_A_DM, respond, WHO)
    told = (await sink.next(WAIT)).payload
    assert "a direct message has no channel to share in" in all_text(told)
    assert told["replace_original"] is False
    assert sandbox.query_requests == 0


async def test_a_dead_response_url_tells_the_clicker_by_an_ephemeral_post(
    make_app: AppFactory, slack_api: FakeSlackApi, sandbox: SandboxGateway
) -> None:
    _, services = make_app.build()
    async with ResponseSink(status=404) as dead:
        respond = AsyncRespond(response_url=dead.url())
        await share(clicked_as(services, slack_api), ACTION, IN_A_DM, respond, WHO)
    [post] = slack_api.of("chat.postEphemeral")
    assert (post["channel"], post["user"]) == (WHO.channel_id, WHO.user_id)
    assert "could not be shared" in post["text"]


async def test_a_code_the_gateway_does_not_find_is_not_posted_in_the_channel(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    _, services = make_app.build()
    missing = {"value": encode_button_value(QrCodeRef(SEED.mid, "NOBILL00000000000000000001"))}
    respond = AsyncRespond(response_url=sink.url())
    await share(clicked_as(services, slack_api), missing, {}, respond, WHO)
    told = (await sink.next(WAIT)).payload
    assert told.get("response_type") != "in_channel"
    assert "the gateway did not return the code just now" in all_text(told)
