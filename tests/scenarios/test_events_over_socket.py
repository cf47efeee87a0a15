"""Scenario tests: the Events API over Socket Mode — the Home tab, an unfurl and a workflow
step's run arrive as envelopes, pass the same front door, are acked, and end as over HTTP."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.i18n import ENGLISH
from bot.kit.simulate import DEMO_USER
from bot.slack.serving.front_door import FrontDoor
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    WAIT,
    AppFactory,
    Clock,
    comes_at_once,
    held_then_released,
    released_by_hand,
)
from tests.slack.payloads import RUN_TOKEN, home_opened, link_shared, step_run


class RecordingSocket:
    """Where the front door sends a socket's acks."""

    def __init__(self) -> None:
        self.acks: list[Any] = []
        self.logger = logging.getLogger("socket")

    async def send_socket_mode_response(self, response: Any) -> None:
        self.acks.append(response)


async def deliver(door: FrontDoor, body: dict[str, Any]) -> RecordingSocket:
    socket = RecordingSocket()
    envelope = SocketModeRequest(type="events_api", envelope_id="env-1", payload=body)
    await door.socket(socket, envelope)  # type: ignore[arg-type]
    return socket


async def test_home_unfurl_and_step_work_over_the_socket_as_over_http(
    make_app: AppFactory, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    door = FrontDoor(make_app(), signing_secret=None, language=ENGLISH)
    slack_api.run_tokens.add(RUN_TOKEN)
    run = step_run({"merchant_no": "898340149000005", "qr_code": "31942002268195125132885377"})
    sockets = [
        await deliver(door, home_opened(DEMO_USER)),
        await deliver(
            door, link_shared(["https://qr.95516.com/48020000/31942611251045330000889900"])
        ),
        await deliver(door, run),
    ]
    assert [len(socket.acks) for socket in sockets] == [1, 1, 1]
    await slack_api.wait_for("views.publish", 1, WAIT)
    await slack_api.wait_for("chat.unfurl", 1, WAIT)
    await slack_api.wait_for("functions.completeSuccess", 1, WAIT)
    await make_app.settled()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_envelope_holds_back_work_that_can_wait(make_app: AppFactory) -> None:
    """Over the socket too, each envelope is an arrival: two at once are a burst, and what
    can wait waits for the acks."""
    clock = Clock()
    acks_first = released_by_hand(clock)
    door = FrontDoor(make_app(), signing_secret=None, language=ENGLISH, acks_first=acks_first)
    assert await comes_at_once(acks_first)  # nothing arrived yet
    assert len((await deliver(door, home_opened(DEMO_USER))).acks) == 1
    assert await comes_at_once(acks_first)  # one envelope: alone
    assert len((await deliver(door, home_opened(DEMO_USER))).acks) == 1
    await held_then_released(acks_first, clock)
    await make_app.settled()
