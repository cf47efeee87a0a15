"""The checks every inbound request passes (pure): its signature, then its body, before Bolt.

Pure: no I/O and no clock of its own. Two questions, in this order:

1. Did Slack send it? (:func:`signature_problem`) A request that fails is
   refused whole: nothing in it (response_url, trigger_id, user, channel) is
   ever read, let alone used.
2. Is it something this app takes, shaped as Slack sends it? (:func:`read_body`,
   :func:`payload_problem`: a command, an interaction, or one of the events it
   subscribes to, in ``_EVENT_PROBLEMS``: the Home tab, the workflow step,
   ``link_shared``) Bolt's parsing and listener matching index into
   payloads without checking (``body["actions"][0]``,
   ``body["view"]["callback_id"]``), so a verified but malformed body would end
   in a 500 and a traceback. Bodies are read here, strictly, and checked for
   what Bolt and our listeners read; the app is then handed this reading.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import unquote_plus

# Slack's rule: refuse a request whose timestamp is more than five minutes off.
MAX_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class NotFromSlack(Exception):
    """Unsigned or wrongly signed. ``reason`` is ours, never an echo of the request."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotSlackShaped(Exception):
    """Verified, but not a body or payload Slack sends. ``reason`` names what is wrong."""

    def __init__(self, reason: str, *, response_url: str | None = None) -> None:
        self.reason = reason
        self.response_url = response_url
        super().__init__(reason)


def check_signature(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    """Raise NotFromSlack unless *signature* is Slack's ``v0`` HMAC of *body* at *timestamp*.

    Never raises anything else, whatever the headers hold: a malformed header
    is a failed verification, not an error.
    """
    if not timestamp or not signature:
        raise NotFromSlack("no signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise NotFromSlack("malformed timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise NotFromSlack("stale timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise NotFromSlack("malformed signature")
    basestring = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise NotFromSlack("signature mismatch")


def read_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body, read the way Slack writes it: a command form, an interaction form's
    ``payload`` (a JSON object), an ``ssl_check``, or an Events API JSON body (an
    event_callback, or the request URL's check). NotSlackShaped otherwise.

    The app is handed this dict (see :mod:`bot.slack.serving.front_door`), not Bolt's own
    reading of the text, which takes the word "payload" anywhere in a command
    (a channel named payload-ops) for an interaction and loses the command.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotSlackShaped("the body is not UTF-8") from None
    if not text:
        raise NotSlackShaped("the body is empty")
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        return _events_api_body(text)
    pairs = form_pairs(text)
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotSlackShaped("a form field appears twice")
    if "payload" in fields:
        payload = _json_object(fields["payload"], "the payload")
        if payload.get("type") in EVENT_BODIES:
            raise NotSlackShaped("an event in a form body (Slack sends events as JSON)")
        return payload
    if "command" in fields or fields.get("ssl_check") == "1":
        return fields
    raise NotSlackShaped("a form body that is neither a command nor an interaction")


def form_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``, without its unquoting where nothing is
    quoted: most of a command's fields (ids, URLs Slack sent plain) are left as they are."""
    pairs = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in piece or "+" in piece:
            name, value = unquote_plus(name), unquote_plus(value)
        pairs.append((name, value))
    return pairs


def _events_api_body(text: str) -> dict[str, Any]:
    """A JSON body: an Events API event or the request URL's check; nothing else comes so."""
    body = _json_object(text, "the JSON body")
    if body.get("type") not in EVENT_BODIES:
        raise NotSlackShaped("a JSON body that is neither an event nor a URL check")
    return body


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: [[[[… thousands deep
        raise NotSlackShaped(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise NotSlackShaped(f"{what} is not a JSON object")
    return data


def payload_problem(body: dict[str, Any]) -> str | None:
    """What makes *body* something this app does not take: a kind it does not handle, or a
    shape Slack would not send (where Bolt or a listener would trip)."""
    for key in ("user", "team", "channel", "enterprise"):
        value = body.get(key)
        if isinstance(value, dict):
            if not all(isinstance(v, str) for k, v in value.items() if k.endswith("id")):
                return f"an id in its {key} is not a string"
        elif value is not None and not isinstance(value, str):
            return f"its {key} is neither an object nor an id"
    for key in ("authorizations", "response_urls"):
        value = body.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            return f"its {key} are not a list of objects"
    if not all(isinstance(u.get("response_url"), str) for u in body.get("response_urls") or []):
        return "one of its response_urls is not a string"
    if "response_url" in body and not isinstance(body["response_url"], str):
        return "its response_url is not a string"
    if "event" in body:  # Bolt's middleware looks at it on every request
        return _event_problem(body)
    if "command" in body:
        return _command_problem(body)
    if body.get("ssl_check") == "1":
        return None
    kind = body.get("type")
    check = _PROBLEMS_BY_TYPE.get(kind) if isinstance(kind, str) else None
    if check is None:
        return f"a payload of type {str(kind)[:40]!r}, which this app does not handle"
    return check(body)


def _command_problem(body: dict[str, Any]) -> str | None:
    for key in ("command", "user_id", "team_id", "response_url"):
        if not isinstance(body.get(key), str) or not body[key]:
            return f"the command has no {key}"
    if not isinstance(body.get("text", ""), str):
        return "the command's text is not text"
    return None


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    value = user.get("id") if isinstance(user, dict) else None
    return value if isinstance(value, str) and value else None


def _actions_problem(body: dict[str, Any]) -> str | None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        return "the click carries no action"
    if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
        return "an action has no action_id"
    if _user_id(body) is None:
        return "the click names no user"
    return None


def _view_problem(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
        return "the form submission carries no view"
    if view.get("type") != "modal":  # Bolt reads "workflow_step" views as another thing
        return "the view is not a modal"
    if not isinstance(view.get("app_installed_team_id", ""), str):
        return "the view's team id is not a string"
    if _user_id(body) is None:
        return "the form submission names no user"
    return None


def _shortcut_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("callback_id"), str):
        return "the shortcut has no callback_id"
    if _user_id(body) is None:
        return "the shortcut names no user"
    if not isinstance(body.get("trigger_id"), str) or not body["trigger_id"]:
        return "the shortcut has no trigger_id, so no form can be opened"
    if body.get("type") == "message_action" and not isinstance(body.get("message"), dict):
        return "the message shortcut carries no message"
    return None


def _url_check_problem(body: dict[str, Any]) -> str | None:
    """Slack's check of the Events API request URL (Bolt answers its challenge)."""
    return None if isinstance(body.get("challenge"), str) else "the URL check has no challenge"


def _event_problem(body: dict[str, Any]) -> str | None:
    event = body["event"]
    if body.get("type") != "event_callback" or not isinstance(event, dict):
        return "it carries an event that is not an event_callback's object"
    if not isinstance(body.get("team_id"), str) or not body["team_id"]:
        return "the event names no workspace"
    kind = event.get("type")
    check = _EVENT_PROBLEMS.get(kind) if isinstance(kind, str) else None
    if check is None:
        return f"an event of type {str(kind)[:40]!r}, which this app does not take"
    return check(event)


def _step_problem(event: dict[str, Any]) -> str | None:
    """A Workflow Builder step's run (function_executed): what Bolt and the step read."""
    function = event.get("function")
    if not isinstance(function, dict) or not isinstance(function.get("callback_id"), str):
        return "the step's run names no function"
    for key in ("function_execution_id", "bot_access_token"):
        if not isinstance(event.get(key), str) or not event[key]:
            return f"the step's run has no {key}"
    if not isinstance(event.get("inputs", {}), dict):
        return "the step's inputs are not an object"
    return None


def _link_problem(event: dict[str, Any]) -> str | None:
    """Links pasted (link_shared): what the unfurl reads."""
    links = event.get("links")
    if not isinstance(links, list) or not all(
        isinstance(link, dict) and isinstance(link.get("url"), str) for link in links
    ):
        return "the link_shared event's links are not a list of URLs"
    if event.get("source") == "composer":
        if not isinstance(event.get("unfurl_id"), str) or not event["unfurl_id"]:
            return "the link_shared event from the composer has no unfurl_id"
    elif not all(
        isinstance(event.get(key), str) and event[key] for key in ("channel", "message_ts")
    ):
        return "the link_shared event names no message (channel and message_ts)"
    return None


def _home_opened_problem(event: dict[str, Any]) -> str | None:
    """The App Home tab opened (app_home_opened): whose tab, and which."""
    if not isinstance(event.get("user"), str) or not event["user"]:
        return "the home tab event names no user"
    if not isinstance(event.get("tab", ""), str) or not isinstance(event.get("channel", ""), str):
        return "the home tab event's tab or channel is not a string"
    return None


# The kinds of interaction this app handles, and what each must carry.
_PROBLEMS_BY_TYPE = {
    "block_actions": _actions_problem,
    "view_submission": _view_problem,
    "shortcut": _shortcut_problem,
    "message_action": _shortcut_problem,
    "url_verification": _url_check_problem,
}
# The events this app takes (event_callback's event.type), and what each must carry.
_EVENT_PROBLEMS = {
    "app_home_opened": _home_opened_problem,
    "function_executed": _step_problem,
    "link_shared": _link_problem,
}
# The bodies that come as JSON: an event, and Slack checking the Request URL for events.
EVENT_BODIES = ("event_callback", "url_verification")


def check_payload(body: dict[str, Any]) -> None:
    """NotSlackShaped (with the response_url, if any) when :func:`payload_problem` finds one."""
    problem = payload_problem(body)
    if problem is not None:
        url = body.get("response_url")
        raise NotSlackShaped(problem, response_url=url if isinstance(url, str) else None)
