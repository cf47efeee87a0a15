"""Pure front-door checks: the signature check and the body reader never fail any other way."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import to_action, to_event, to_message, to_view

from bot.slack.reading.inbound import (
    NotFromSlack,
    NotSlackShaped,
    check_payload,
    check_signature,
    payload_problem,
    read_body,
)
from tests.slack.helpers import sign

SECRET = "inbound-test-secret"
NOW = 1_800_000_000


def signature(body: bytes, stamp: str, *, secret: str = SECRET) -> str:
    return sign(body, secret=secret, stamp=stamp)["X-Slack-Signature"]


# Slack's own published example ("Verifying requests from Slack"): not our signer agreeing
# with itself, but the base string assembled exactly as Slack assembles it.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slacks_published_example_verifies() -> None:
    """The documented secret, timestamp and body give the documented signature."""
    check_signature(
        SLACK_SECRET,
        timestamp=SLACK_TIMESTAMP,
        signature=SLACK_SIGNATURE,
        body=SLACK_BODY,
        now=int(SLACK_TIMESTAMP),
    )
    assert signature(SLACK_BODY, SLACK_TIMESTAMP, secret=SLACK_SECRET) == SLACK_SIGNATURE


def test_a_good_signature_passes_at_the_edges_of_the_window() -> None:
    """Exactly 300 s either way is still fresh; the check is over the exact bytes."""
    for offset in (-300, 0, 300):
        stamp = str(NOW + offset)
        check_signature(
            SECRET, timestamp=stamp, signature=signature(b"a=1", stamp), body=b"a=1", now=NOW
        )
    stamp = str(NOW)
    with pytest.raises(NotFromSlack, match="mismatch"):
        check_signature(
            SECRET, timestamp=stamp, signature=signature(b"a=1", stamp), body=b"a=2", now=NOW
        )


@settings(max_examples=300, deadline=None)
@given(
    timestamp=st.one_of(st.none(), st.text()), sig=st.one_of(st.none(), st.text()), body=st.binary()
)
def test_any_forged_headers_raise_not_from_slack_and_nothing_else(
    timestamp: str | None, sig: str | None, body: bytes
) -> None:
    """Whatever an attacker puts in the headers, the check ends in NotFromSlack, never a crash."""
    with pytest.raises(NotFromSlack):
        check_signature(SECRET, timestamp=timestamp, signature=sig, body=body, now=NOW)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def maybe_object(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Any JSON, or an object with (some of) the fields Slack would put there, each any JSON."""
    return JSON | st.fixed_dictionaries({}, optional=fields)


ID = st.one_of(JSON, st.text(min_size=1, max_size=5))
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "actions": JSON | st.lists(maybe_object(action_id=ID, value=JSON), max_size=2),
    "user": maybe_object(id=ID),
    "team": maybe_object(id=ID),
    "channel": maybe_object(id=ID),
    "enterprise": maybe_object(id=ID),
    "view": maybe_object(callback_id=ID, state=maybe_object(values=JSON)),
    "event": maybe_object(type=ID),
    "message": maybe_object(text=JSON),
    "trigger_id": ID,
    "callback_id": ID,
    "response_url": ID,
    "authorizations": JSON | st.lists(maybe_object(team_id=ID), max_size=2),
    "container": maybe_object(is_ephemeral=JSON, channel_id=ID),
}
TYPES = st.sampled_from(
    ["block_actions", "view_submission", "view_closed", "shortcut", "message_action",
     "event_callback", "interactive_message", "block_suggestion"]
)  # fmt: skip


def read_payload(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """What the front door does with a verified body: read it, then check its shape."""
    body = read_body(raw, content_type)
    check_payload(body)
    return body


PAYLOADS = st.builds(
    lambda kind, extra: {"type": kind} | extra, TYPES, st.fixed_dictionaries({}, optional=FIELDS)
)


@settings(max_examples=1000, deadline=None)
@given(payload=PAYLOADS)
def test_a_payload_the_reader_accepts_never_trips_bolt(payload: dict[str, Any]) -> None:
    """Bolt builds its request and reads action, view and event of anything that passes."""
    raw = urlencode({"payload": json.dumps(payload)}).encode()
    try:
        read_payload(raw, "application/x-www-form-urlencoded")
    except NotSlackShaped:
        return
    request = AsyncBoltRequest(body=raw.decode())
    action = to_action(request.body)
    if action is not None:
        assert isinstance(action.get("action_id"), str) or payload["type"] != "block_actions"
    view = to_view(request.body)
    assert view is None or isinstance(view.get("callback_id"), str)
    to_event(request.body)
    to_message(request.body)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", None]),
)
def test_any_bytes_are_read_or_refused_as_not_slack_shaped(
    raw: bytes, content_type: str | None
) -> None:
    """Arbitrary bodies: a dict Bolt can build a request from, or NotSlackShaped."""
    try:
        body = read_payload(raw, content_type)
    except NotSlackShaped:
        return
    assert isinstance(body, dict)
    AsyncBoltRequest(body=raw.decode(), headers={"content-type": content_type or ""})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"type": "event_callback", "team_id": "T1", "event": {"type": "app_home_opened",
          "user": "U1", "tab": "home"}}, None),
        ({"type": "url_verification", "challenge": "abc"}, None),
        ({"type": "event_callback", "team_id": "T1", "event": {"type": "message", "user": "U1"}},
         "an event of type 'message', which this app does not take"),
        ({"type": "event_callback", "team_id": "T1", "event": {"type": "app_home_opened"}},
         "the home tab event names no user"),
        ({"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1"}},
         "the event names no workspace"),
        ({"type": "block_actions", "event": {"type": "app_home_opened", "user": "U1"}},
         "it carries an event outside an event_callback"),
        ({"type": "url_verification"}, "the url_verification has no challenge"),
    ],
    ids=["home-opened", "url-verification", "other-event", "no-user", "no-team",
         "event-in-a-click", "no-challenge"],
)  # fmt: skip
def test_only_the_events_the_app_subscribes_to_pass_as_slack_sends_them(
    body: dict[str, Any], problem: str | None
) -> None:
    """app_home_opened (and the URL check) as JSON: taken; any other event or shape: named."""
    if body["type"] != "block_actions":  # a click comes as a form, never as JSON
        assert read_body(json.dumps(body).encode(), "application/json") == body
    assert payload_problem(body) == problem


def test_a_json_body_that_is_not_an_event_is_refused() -> None:
    with pytest.raises(NotSlackShaped, match="neither an event"):
        read_body(b'{"type": "block_actions"}', "application/json")


EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["event_callback", "url_verification"])},
    optional={
        "team_id": ID,
        "challenge": ID,
        "event": maybe_object(
            type=st.sampled_from(["app_home_opened", "message"]) | ID,
            user=maybe_object(id=ID) | ID,
            tab=ID,
            channel=maybe_object(id=ID) | ID,
        ),
    },
)


@settings(max_examples=500, deadline=None)
@given(body=EVENTS)
def test_an_event_the_reader_accepts_never_trips_bolt(body: dict[str, Any]) -> None:
    """Any JSON event: refused as not Slack-shaped, or one Bolt builds a request from."""
    raw = json.dumps(body)
    try:
        read_payload(raw.encode(), "application/json")
    except NotSlackShaped:
        return
    request = AsyncBoltRequest(body=raw, headers={"content-type": "application/json"})
    event = to_event(request.body)
    assert event is None or isinstance(event.get("user"), str)
