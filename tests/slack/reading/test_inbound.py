"""Pure front-door checks: the signature check and the body reader never fail any other way."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_function_inputs
from slack_bolt.request.payload_utils import (
    is_function,
    to_action,
    to_event,
    to_message,
    to_view,
)

from bot.slack.reading.inbound import (
    NotFromSlack,
    NotSlackShaped,
    check_payload,
    check_signature,
    form_pairs,
    payload_problem,
    read_body,
)
from bot.slack.reading.links import qr_links, unfurl_target
from tests.slack.helpers import sign
from tests.slack.payloads import link_shared, step_run

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
    "event": maybe_object(
        type=st.sampled_from(["function_executed", "app_mention"]) | ID,
        function=maybe_object(callback_id=ID),
        function_execution_id=ID,
        bot_access_token=ID,
        inputs=JSON,
    ),
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


# --- the Events API: link_shared, and the url_verification of its Request URL -------------


def json_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


@pytest.mark.parametrize("source", ["conversations_history", "composer"])
def test_a_link_shared_event_is_read_and_taken(source: str) -> None:
    """From a posted message or from the composer, as JSON: taken as Slack sent it."""
    payload = link_shared(
        ["https://qr.95516.com/48020000/31942002268195125132885377"], source=source
    )
    assert read_payload(json_body(payload), "application/json") == payload


@pytest.mark.parametrize(
    ("payload", "content_type", "reason"),
    [
        (link_shared([]) | {"event": {"type": "app_mention"}}, "application/json",
         "an event of type 'app_mention', which this app does not take"),
        (link_shared([]) | {"event": None}, "application/json",
         "it carries an event that is not an event_callback's object"),
        ({"type": "url_verification"}, "application/json", "the URL check has no challenge"),
        ({"type": "block_actions", "event": {"type": "link_shared"}}, "application/json",
         "a JSON body that is neither an event nor a URL check"),
        ({"command": "/qrinfo"}, "application/json",
         "a JSON body that is neither an event nor a URL check"),
        ({"type": "block_actions", "user": {"id": "U1"}, "event": {},
          "actions": [{"action_id": "x"}]}, "form",
         "it carries an event that is not an event_callback's object"),
        (link_shared([]), "form", "an event in a form body (Slack sends events as JSON)"),
    ],
    ids=["other-event", "no-event", "no-challenge", "json-interaction", "json-command",
         "event-in-interaction", "event-as-form"],
)  # fmt: skip
def test_an_event_this_app_does_not_take_is_not_slack_shaped(
    payload: dict[str, Any], content_type: str, reason: str
) -> None:
    """Only link_shared, only as JSON, and nothing else as JSON."""
    if content_type == "form":
        raw, content_type = urlencode({"payload": json.dumps(payload)}).encode(), "x"
    else:
        raw = json_body(payload)
    with pytest.raises(NotSlackShaped) as refused:
        read_payload(raw, content_type)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"links": [{"url": 7}]}, "the link_shared event's links are not a list of URLs"),
        ({"links": None}, "the link_shared event's links are not a list of URLs"),
        ({"source": "composer", "unfurl_id": None},
         "the link_shared event from the composer has no unfurl_id"),
        ({"message_ts": ""}, "the link_shared event names no message (channel and message_ts)"),
        ({"channel": {"id": "C1"}},
         "the link_shared event names no message (channel and message_ts)"),
    ],
    ids=["url-number", "no-links", "composer-no-id", "empty-ts", "channel-object"],
)  # fmt: skip
def test_a_link_shared_event_without_what_the_unfurl_needs_is_not_slack_shaped(
    event: dict[str, Any], reason: str
) -> None:
    """Links that are not URLs, or no message (nor composer unfurl) to put the unfurl on."""
    payload = link_shared(["https://qr.95516.com/48020000/31942002268195125132885377"])
    payload["event"] |= event
    with pytest.raises(NotSlackShaped) as refused:
        read_payload(json_body(payload), "application/json")
    assert refused.value.reason == reason


EVENT_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.just("link_shared") | ID,
    "channel": maybe_object(id=ID) | ID,
    "user": maybe_object(id=ID) | ID,
    "message_ts": ID,
    "unfurl_id": ID,
    "source": st.sampled_from(["composer", "conversations_history"]) | ID,
    "links": JSON | st.lists(maybe_object(url=ID, domain=ID), max_size=3),
}
EVENTS = st.builds(
    lambda extra, event: {"type": "event_callback"} | extra | {"event": event},
    st.fixed_dictionaries({}, optional=FIELDS | {"team_id": ID}),
    st.fixed_dictionaries({}, optional=EVENT_FIELDS) | JSON,
)


@settings(max_examples=1000, deadline=None)
@given(payload=EVENTS)
def test_an_event_the_reader_accepts_never_trips_bolt_or_the_unfurl(
    payload: dict[str, Any],
) -> None:
    """Bolt builds its request and reads the event of anything that passes; reading its
    links and its target raises nothing."""
    raw = json_body(payload)
    try:
        body = read_payload(raw, "application/json")
    except NotSlackShaped:
        return
    request = AsyncBoltRequest(body=raw.decode(), headers={"content-type": "application/json"})
    event = to_event(request.body)
    assert isinstance(event, dict)
    assert unfurl_target(body["event"]) is not None
    qr_links(body["event"])


@settings(max_examples=300, deadline=None)
@given(payload=PAYLOADS)
def test_an_event_the_reader_accepts_never_trips_bolt(payload: dict[str, Any]) -> None:
    """As a JSON body: Bolt reads a step's run (its function, inputs and token) of what passes."""
    raw = json.dumps(payload).encode()
    try:
        read_payload(raw, "application/json")
    except NotSlackShaped:
        return
    request = AsyncBoltRequest(body=raw.decode(), headers={"content-type": "application/json"})
    if is_function(request.body):  # what Bolt's function_executed matcher reads
        assert isinstance(request.body["event"]["function"]["callback_id"], str)
        extract_function_inputs(request.body)
    to_event(request.body)


# --- the events this app takes: a Workflow Builder step's run -------------------------------

RUN = step_run({"merchant_no": "898340149000005", "qr_code": "31942002268195125132885377"})


def test_a_steps_run_and_the_request_url_check_are_read_from_json() -> None:
    assert read_payload(json.dumps(RUN).encode(), "application/json") == RUN
    check = {"token": "x", "challenge": "c0ffee", "type": "url_verification"}
    assert read_payload(json.dumps(check).encode(), "application/json; charset=utf-8") == check


NOT_TAKEN = "which this app does not take"
NOT_CALLBACK = "it carries an event that is not an event_callback's object"


def _run_with(**event: Any) -> dict[str, Any]:
    return RUN | {"event": RUN["event"] | event}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_run_with(type="app_mention"), f"an event of type 'app_mention', {NOT_TAKEN}"),
        (RUN | {"type": "block_actions"}, NOT_CALLBACK),
        (RUN | {"event": "function_executed"}, NOT_CALLBACK),
        (_run_with(function="lookup_qr_code"), "the step's run names no function"),
        (_run_with(function_execution_id=""), "the step's run has no function_execution_id"),
        (_run_with(bot_access_token=None), "the step's run has no bot_access_token"),
        (_run_with(inputs=["898340149000005"]), "the step's inputs are not an object"),
        ({"type": "url_verification"}, "the URL check has no challenge"),
    ],
    ids=[
        "other-event",
        "not-a-callback",
        "event-not-object",
        "no-function",
        "no-execution-id",
        "no-token",
        "inputs-not-object",
        "check-without-challenge",
    ],
)
def test_an_event_slack_would_not_send_this_app_is_refused_saying_why(
    body: dict[str, Any], reason: str
) -> None:
    with pytest.raises(NotSlackShaped) as refused:
        check_payload(body)
    assert refused.value.reason == reason


def test_a_json_body_other_than_an_event_or_the_url_check_is_refused() -> None:
    with pytest.raises(NotSlackShaped, match="neither an event nor a URL check"):
        read_body(b'{"command": "/qrinfo", "text": "x"}', "application/json")


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
         "it carries an event that is not an event_callback's object"),
        ({"type": "url_verification"}, "the URL check has no challenge"),
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
def test_any_json_event_the_reader_accepts_never_trips_bolt(body: dict[str, Any]) -> None:
    """Any JSON event: refused as not Slack-shaped, or one Bolt builds a request from."""
    raw = json.dumps(body)
    try:
        read_payload(raw.encode(), "application/json")
    except NotSlackShaped:
        return
    request = AsyncBoltRequest(body=raw, headers={"content-type": "application/json"})
    event = to_event(request.body)
    assert event is None or isinstance(event.get("user"), str)


@settings(max_examples=1000)
@given(
    st.one_of(
        st.text(alphabet="ab=&%+;2E6F9 测\x00", max_size=40),
        st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=6).map(urlencode),
    )
)
def test_a_form_reads_as_parse_qsl_reads_it(text: str) -> None:
    """Every field, its name and value unquoted as parse_qsl unquotes them (blank ones kept),
    whatever the text: its quick reading never differs."""
    assert form_pairs(text) == parse_qsl(text, keep_blank_values=True)
