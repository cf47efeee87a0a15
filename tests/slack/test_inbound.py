"""Pure front-door checks: the signature check and the body reader never fail any other way."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import to_action, to_event, to_message, to_view

from bot.slack.inbound import NotFromSlack, NotSlackShaped, check_signature, read_payload

SECRET = "inbound-test-secret"
NOW = 1_800_000_000


def signature(body: bytes, stamp: str) -> str:
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


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
