"""Signed Slack requests made locally (bot/kit/simulate.py): the form bodies Slack posts and
the X-Slack-Signature over ``v0:{timestamp}:{body}``, as Slack's own verifier checks it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from bot.kit.simulate import (
    DEMO_CHANNEL,
    DEMO_TEAM,
    DEMO_USER,
    interaction_body,
    signed_headers,
    signed_request,
    slash_command_body,
)

SECRET = "kit-signing-secret"
STAMP = 1_700_000_000


def form(body: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(body).items()}


def test_a_slash_command_body_is_slacks_form_for_the_demo_workspace() -> None:
    fields = form(slash_command_body("898340149000005 1234", response_url="http://sink/r"))
    assert fields["command"] == "/qrinfo"
    assert fields["text"] == "898340149000005 1234"
    assert fields["response_url"] == "http://sink/r"
    assert (fields["team_id"], fields["user_id"], fields["channel_id"]) == (
        DEMO_TEAM,
        DEMO_USER,
        DEMO_CHANNEL,
    )
    assert "enterprise_id" not in fields


def test_a_slash_command_body_takes_its_own_names_and_an_enterprise() -> None:
    body = slash_command_body(
        "help",
        response_url="http://sink/r",
        command="/qr",
        user_id="U2",
        enterprise_id="E1",
        trigger_id="t-1",
    )
    fields = form(body)
    assert (fields["command"], fields["user_id"], fields["enterprise_id"]) == ("/qr", "U2", "E1")
    assert fields["trigger_id"] == "t-1"


def test_an_interaction_body_is_its_payload_as_json_in_a_form() -> None:
    payload = {"type": "block_actions", "actions": [{"value": "电"}]}
    assert json.loads(form(interaction_body(payload))["payload"]) == payload


def test_signed_headers_pass_slacks_own_verifier_at_their_timestamp() -> None:
    body = slash_command_body("x", response_url="http://sink/r")
    headers = signed_headers(body, SECRET, timestamp=STAMP)
    assert headers["x-slack-request-timestamp"] == str(STAMP)
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    verifier = SignatureVerifier(SECRET, clock=_At(STAMP + 10))
    assert verifier.is_valid(body, str(STAMP), headers["x-slack-signature"])
    assert not SignatureVerifier("another", clock=_At(STAMP)).is_valid(
        body, str(STAMP), headers["x-slack-signature"]
    )


def test_a_signed_request_carries_the_body_and_its_signature() -> None:
    body = interaction_body({"type": "shortcut"})
    request = signed_request(body, SECRET, timestamp=STAMP)
    assert request.raw_body == body
    assert request.headers["x-slack-signature"] == [
        signed_headers(body, SECRET, timestamp=STAMP)["x-slack-signature"]
    ]


class _At(Clock):
    """A clock for slack_sdk's verifier, stopped at *now*."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now
